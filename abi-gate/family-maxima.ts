import { isScanned } from './check.js';
import { compareVersions, effectiveVersion } from './requirements.js';
import type { Culprit, ScanEntry } from './types.js';

/** A family's highest required version over many files, and who forces it. */
export interface FamilyMaximum {
  version: string;
  /** The culprits at exactly that version, with the file that carries each, sorted by path then symbol. */
  culprits: (Culprit & { path: string })[];
}

/**
 * Per family the highest version any ELF file needs and the symbols forcing it, e.g. GLIBC 2.28:
 * `fcntl64` in `node`. packager writes this into the manifest's `abi`; doctor recomputes it to
 * check and diff releases, so both read it from here. Families no file needs have no key.
 */
export function familyMaxima(entries: readonly ScanEntry[], families: readonly string[]): Record<string, FamilyMaximum> {
  const elf = entries.filter(isScanned).filter((entry) => entry.format === 'elf');
  const maxima: Record<string, FamilyMaximum> = {};
  for (const family of families) {
    let highest: string | null = null;
    for (const entry of elf) {
      const version = entry.requires[family];
      if (version !== undefined && (highest === null || compareVersions(version, highest) > 0)) highest = version;
    }
    if (highest === null) continue;
    const culprits: FamilyMaximum['culprits'] = [];
    for (const entry of elf) {
      const version = entry.requires[family];
      if (version === undefined || compareVersions(version, highest) !== 0) continue;
      for (const culprit of entry.culprits) {
        const at = effectiveVersion(culprit.version);
        if (at?.family === family && compareVersions(at.version, highest) === 0) culprits.push({ ...culprit, path: entry.path });
      }
    }
    culprits.sort((a, b) => (a.path === b.path ? String(a.symbol).localeCompare(String(b.symbol)) : a.path < b.path ? -1 : 1));
    maxima[family] = { version: highest, culprits };
  }
  return maxima;
}
