import type { SymbolRef } from './elf/elf-file.js';
import type { Culprit, VersionNeed } from './types.js';

/**
 * From version entries to requirements: per family (the text before the first underscore, as
 * auditwheel splits them) the highest version the loader will insist on, and the symbols that
 * force it.
 */

export type { SymbolRef };

/**
 * Version-only entries that glibc added to refuse binaries using a newer ABI feature. No
 * symbol carries them, so they only show in the verneed table. Each counts as the release that
 * introduced it:
 * - GLIBC_ABI_DT_RELR: glibc 2.36 (commit "Add GLIBC_ABI_DT_RELR for DT_RELR support"), added
 *   by `ld -z pack-relative-relocs`.
 * - GLIBC_ABI_GNU_TLS (i386, BZ #33221), GLIBC_ABI_GNU2_TLS (x86-64 and i386 TLS descriptors,
 *   BZ #33129) and GLIBC_ABI_DT_X86_64_PLT (`ld -z mark-plt`, BZ #33212): glibc 2.42, on its
 *   release branch (sysdeps/i386/Versions and sysdeps/x86/Versions define them; openSUSE's glibc
 *   2.42 changelog backports all three from it). A host on an older glibc refuses such a file
 *   with "version `GLIBC_ABI_GNU2_TLS' not found".
 */
export const ABI_MARKERS: Readonly<Record<string, { family: string; version: string }>> = {
  GLIBC_ABI_DT_RELR: { family: 'GLIBC', version: '2.36' },
  GLIBC_ABI_GNU_TLS: { family: 'GLIBC', version: '2.42' },
  GLIBC_ABI_GNU2_TLS: { family: 'GLIBC', version: '2.42' },
  GLIBC_ABI_DT_X86_64_PLT: { family: 'GLIBC', version: '2.42' },
};

const NUMERIC = /^\d+(\.\d+)*$/;

/** `GLIBC_2.28` -> {family: 'GLIBC', version: '2.28'}; `CXXABI_TM_1` -> {family: 'CXXABI', version: 'TM_1'}. */
export function splitVersion(name: string): { family: string; version: string } {
  const at = name.indexOf('_');
  return at < 0 ? { family: name, version: '' } : { family: name.slice(0, at), version: name.slice(at + 1) };
}

export function isNumericVersion(version: string): boolean {
  return NUMERIC.test(version);
}

/** Orders dotted versions by numeric component: 2.17 > 2.2.5, 3.4.19 < 3.4.21, 2.3 == 2.3.0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const x = pa[i] ?? '0';
    const y = pb[i] ?? '0';
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx < ny ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

/**
 * What a version name demands as a numbered release of its family, or null when it is not a
 * number (GLIBC_PRIVATE, CXXABI_TM_1, an ABI marker not known here): those stay visible in
 * versionNeeds for the policy layer to judge.
 */
export function effectiveVersion(name: string): { family: string; version: string } | null {
  const marker = ABI_MARKERS[name];
  if (marker !== undefined) return marker;
  const split = splitVersion(name);
  return isNumericVersion(split.version) ? split : null;
}

export interface Requirements {
  requires: Record<string, string>;
  culprits: Culprit[];
}

const FAMILY_ORDER = ['GLIBC', 'GLIBCXX', 'CXXABI', 'GCC'];

function familyRank(family: string): number {
  const i = FAMILY_ORDER.indexOf(family);
  return i < 0 ? FAMILY_ORDER.length : i;
}

/** Sort key for culprits and requirement maps: the well-known families first, then by name. */
export function compareFamilies(a: string, b: string): number {
  return familyRank(a) - familyRank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function sortedRecord(record: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of [...record.keys()].sort(compareFamilies)) out[key] = record.get(key) as string;
  return out;
}

/**
 * Every non-weak entry counts, whether or not a symbol uses it: the loader checks each vernaux
 * entry (glibc elf/dl-version.c). Culprits are the undefined symbols bound (through versym) to
 * an entry at its family's highest version, and to every entry that is not a number
 * (GLIBC_PRIVATE, CXXABI_TM_1): those have no order to take a maximum in, and a policy that
 * refuses one must be able to name the symbols behind it. An entry no symbol uses is its own
 * culprit, with `symbol: null`.
 */
export function requirementsOf(versionNeeds: readonly VersionNeed[], symbolRefs: readonly SymbolRef[]): Requirements {
  const highest = new Map<string, string>();
  for (const need of versionNeeds) {
    if (need.weak) continue;
    const v = effectiveVersion(need.version);
    if (v === null) continue;
    const current = highest.get(v.family);
    if (current === undefined || compareVersions(v.version, current) > 0) highest.set(v.family, v.version);
  }
  const byIndex = new Map<number, string[]>();
  for (const ref of symbolRefs) {
    const list = byIndex.get(ref.versionIndex) ?? [];
    list.push(ref.name);
    byIndex.set(ref.versionIndex, list);
  }
  const seen = new Set<string>();
  const culprits: Array<Culprit & { family: string }> = [];
  for (const need of versionNeeds) {
    if (need.weak) continue;
    const v = effectiveVersion(need.version);
    if (v !== null && compareVersions(v.version, highest.get(v.family) ?? '') !== 0) continue;
    const family = v?.family ?? splitVersion(need.version).family;
    const symbols = byIndex.get(need.index) ?? [];
    for (const symbol of symbols.length > 0 ? symbols : [null]) {
      const key = `${symbol ?? ''}\0${need.version}\0${need.library}`;
      if (seen.has(key)) continue;
      seen.add(key);
      culprits.push({ family, symbol, version: need.version, library: need.library });
    }
  }
  culprits.sort(
    (a, b) =>
      compareFamilies(a.family, b.family) ||
      cmp(a.version, b.version) ||
      cmp(a.library, b.library) ||
      cmp(a.symbol ?? '', b.symbol ?? ''),
  );
  return {
    requires: sortedRecord(highest),
    culprits: culprits.map(({ symbol, version, library }) => ({ symbol, version, library })),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Per family the highest version over many files: the summary line of a scan. */
export function maxRequires(list: Iterable<Readonly<Record<string, string>>>): Record<string, string> {
  const highest = new Map<string, string>();
  for (const requires of list) {
    for (const [family, version] of Object.entries(requires)) {
      const current = highest.get(family);
      if (current === undefined || compareVersions(version, current) > 0) highest.set(family, version);
    }
  }
  return sortedRecord(highest);
}
