/**
 * What to do about the culprits users meet most. One table, data only: each row says which
 * culprits it is about, the fix, and where the fact comes from, so a reader can check it.
 */
import type { Culprit } from './types.js';

export type FixHintId = 'node-fcntl64' | 'glibc-2.34-libpthread' | 'dt-relr' | 'new-libstdcxx' | 'glibc-2.33-stat';

interface FixHintRow {
  id: FixHintId;
  /** The version entry the culprit needs (whole match). */
  version: RegExp;
  /** The symbol (whole match); absent: any symbol, and version-only entries too. */
  symbol?: RegExp;
  hint: string;
  source: string;
}

export const FIX_HINTS: readonly FixHintRow[] = [
  {
    id: 'node-fcntl64',
    version: /^GLIBC_2\.28$/,
    symbol: /^fcntl64$/,
    hint:
      'official node >= 18 is built on glibc 2.28 (fcntl64@GLIBC_2.28 is its usual culprit): use the glibc-217 flavour ' +
      '(packager --node-flavor glibc-217, from unofficial-builds.nodejs.org); in an addon, build it on glibc <= 2.27',
    source: 'nodejs/node doc/changelogs/CHANGELOG_V18.md (toolchain and glibc 2.28 baseline); nodejs/unofficial-builds recipes/x64-glibc-217',
  },
  {
    id: 'glibc-2.34-libpthread',
    version: /^GLIBC_2\.34$/,
    symbol: /^(pthread_\w+|dl(open|close|sym|vsym|error|info|addr|add1|iterate_phdr|mopen)|sem_\w+|shm_(open|unlink)|timer_\w+|mq_\w+|thrd_\w+|mtx_\w+|cnd_\w+|tss_\w+|call_once|__libc_start_main)$/,
    hint:
      'built on glibc >= 2.34, which moved libpthread, libdl and librt into libc and gave their symbols version 2.34: ' +
      'build on an older distro (e.g. a manylinux2014 / CentOS 7 image) or against an older glibc sysroot',
    source: 'glibc NEWS for 2.34 ("libpthread, libdl, libutil and libanl have been merged into libc")',
  },
  {
    id: 'dt-relr',
    version: /^GLIBC_ABI_DT_RELR$/,
    hint:
      'linked with -z pack-relative-relocs (some new toolchains turn it on by default): glibc < 2.36 cannot load it; ' +
      'relink with -Wl,-z,nopack-relative-relocs',
    source: 'glibc NEWS for 2.36 (DT_RELR support, GLIBC_ABI_DT_RELR); binutils 2.38 ld manual, -z pack-relative-relocs',
  },
  {
    id: 'new-libstdcxx',
    // GLIBCXX_3.4.20 and up: GCC 4.9 or newer (CentOS 7 ships GCC 4.8.5, GLIBCXX_3.4.19).
    version: /^GLIBCXX_3\.4\.([2-9]\d|\d{3,})$/,
    hint:
      'built with a newer GCC than the hosts have: build with an older GCC (e.g. devtoolset on CentOS 7 links ' +
      'new features statically), or link libstdc++ statically (-static-libstdc++) where no C++ types cross the module boundary',
    source: 'GCC libstdc++ manual, ABI policy (libstdc++-v3/doc/xml/manual/abi.xml): GLIBCXX_3.4.19 = GCC 4.8.3, 3.4.20 = 4.9, 3.4.30 = 12.1',
  },
  {
    id: 'glibc-2.33-stat',
    version: /^GLIBC_2\.33$/,
    symbol: /^(stat|fstat|lstat|fstatat|mknod|mknodat)(64)?$/,
    hint:
      'built on glibc >= 2.33, where stat/fstat/lstat became real exported functions (older glibc had only __xstat wrappers): ' +
      'build on an older distro or against an older glibc sysroot',
    source: 'glibc NEWS for 2.33 ("the stat, stat64, fstat, ... functions are now exported")',
  },
];

export interface FixHint {
  id: FixHintId;
  hint: string;
  source: string;
  /** The culprits it is about, `symbol@version` (or the bare version entry), in first-seen order. */
  culprits: string[];
}

function matches(row: FixHintRow, culprit: Culprit): boolean {
  if (!row.version.test(culprit.version)) return false;
  if (row.symbol === undefined) return true;
  return culprit.symbol !== null && row.symbol.test(culprit.symbol);
}

/** The hints for some culprits, in table order, each once with the culprits it covers. */
export function fixHints(culprits: Iterable<Culprit>): FixHint[] {
  const found = new Map<FixHintId, Set<string>>();
  for (const culprit of culprits) {
    for (const row of FIX_HINTS) {
      if (!matches(row, culprit)) continue;
      const set = found.get(row.id) ?? new Set<string>();
      set.add(culprit.symbol === null ? culprit.version : `${culprit.symbol}@${culprit.version}`);
      found.set(row.id, set);
    }
  }
  return FIX_HINTS.filter((row) => found.has(row.id)).map((row) => ({
    id: row.id,
    hint: row.hint,
    source: row.source,
    culprits: [...(found.get(row.id) as Set<string>)],
  }));
}

/** Human lines: `hint (fcntl64@GLIBC_2.28): ...`. Culprit names are the caller's to make readable. */
export function hintLines(hints: readonly FixHint[], show: (culprit: string) => string = (c) => c): string[] {
  return hints.map((h) => {
    const named = h.culprits.slice(0, 3).map(show).join(', ') + (h.culprits.length > 3 ? `, +${h.culprits.length - 3}` : '');
    return `hint (${named}): ${h.hint}`;
  });
}
