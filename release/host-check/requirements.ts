/**
 * What a release asks of the host it runs on, computed from abi-gate's scan of its binaries: the
 * one source of `bin/helpers/check-requirements.sh` (script.ts), of the manifest's
 * `hostRequirements`, and of what doctor verifies and diffs. A requirement met by a library the
 * release ships (found through RUNPATH/RPATH, as the loader finds it) is not asked of the host.
 */
import { compareKernel, compareVersions, effectiveVersion, isScanned, resolveNeeded, type ScanEntry, type ScannedFile, type TreeIndex } from '../../abi-gate/index.js';

/** Version families compared as numbers against the host library that defines them. */
export type FloorFamily = 'GLIBC' | 'GLIBCXX' | 'CXXABI' | 'GCC';

/** Which host library a family's floor is read from. Every glibc library of a host comes from one glibc release, so libc.so.6 speaks for libm, libpthread, ... */
export const FLOOR_LIBRARY: Readonly<Record<FloorFamily, string>> = {
  GLIBC: 'libc.so.6',
  GLIBCXX: 'libstdc++.so.6',
  CXXABI: 'libstdc++.so.6',
  GCC: 'libgcc_s.so.1',
};

const FLOOR_ORDER: readonly FloorFamily[] = ['GLIBC', 'GLIBCXX', 'CXXABI', 'GCC'];

/** The glibc libraries whose versions are all GLIBC_* nodes of the same release. */
const GLIBC_LIBRARIES = /^(libc|libm|libdl|librt|libpthread|libutil|libresolv|libanl|libnsl|libcrypt|libBrokenLocale|ld-linux[-.\w]*|ld64)\.so\.\d+$/;

/** One file that forces a requirement, with the symbols or version entries that do. */
export interface HostCause {
  /** Relative to the release's top folder, e.g. `node`, `node_modules/x/build/Release/x.node`. */
  path: string;
  /** Symbols (or version-only entries, by their version name), sorted; empty for a library or kernel need. */
  symbols: string[];
}

export interface HostFloor {
  family: FloorFamily;
  /** The host library it is read from (FLOOR_LIBRARY). */
  library: string;
  version: string;
  forcedBy: HostCause[];
}

export interface HostLibrary {
  /** A soname (`libz.so.1`), or an absolute path for an interpreter (`/lib64/ld-linux-x86-64.so.2`). */
  name: string;
  /** Version names needed from it that no floor covers (`ZLIB_1.2.9`, `CXXABI_TM_1`): checked one by one. */
  versions: { version: string; neededBy: HostCause[] }[];
  neededBy: HostCause[];
}

export interface HostRequirements {
  /** abi-gate's machine name: `x86_64`, `aarch64`. */
  machine: string;
  /** `glibc` refuses a musl host; `any` when no file is linked against a libc (static builds). */
  libc: 'glibc' | 'musl' | 'any';
  kernel: { version: string; forcedBy: HostCause[] } | null;
  floors: HostFloor[];
  libraries: HostLibrary[];
}

const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/**
 * The host requirements of the release whose ELF files are `entries` (paths relative to its top
 * folder) and whose paths are `tree`. Weak version entries are left out (the loader only warns),
 * and so is GLIBC_PRIVATE, which no host can promise (the policy gate refuses it).
 */
export function hostRequirements(entries: readonly ScanEntry[], tree: TreeIndex, machine: string): HostRequirements {
  const files = entries.filter(isScanned).filter((e): e is ScannedFile => e.format === 'elf').sort(byPath);
  const floors = new Map<FloorFamily, { version: string; causes: Map<string, Set<string>> }>();
  const libraries = new Map<string, { versions: Map<string, Map<string, Set<string>>>; causes: Map<string, Set<string>> }>();
  const library = (name: string) => {
    let lib = libraries.get(name);
    if (lib === undefined) libraries.set(name, (lib = { versions: new Map(), causes: new Map() }));
    return lib;
  };
  const cause = (causes: Map<string, Set<string>>, path: string): Set<string> => {
    let symbols = causes.get(path);
    if (symbols === undefined) causes.set(path, (symbols = new Set()));
    return symbols;
  };
  let kernel: { version: string; paths: Set<string> } | null = null;
  let libc: HostRequirements['libc'] = 'any';

  for (const file of files) {
    if (file.libc === 'glibc' || file.libc === 'musl') libc = libc === 'any' ? file.libc : libc;
    if (file.minKernel != null) {
      const order = kernel === null ? 1 : compareKernel(file.minKernel, kernel.version);
      if (order > 0) kernel = { version: file.minKernel, paths: new Set([file.path]) };
      else if (order === 0) kernel?.paths.add(file.path);
    }
    if (file.interpreter !== null) cause(library(file.interpreter).causes, file.path);
    const host = new Set(file.needed.filter((needed) => resolveNeeded(file.path, file, needed, tree) === null));
    for (const needed of host) cause(library(needed).causes, file.path);

    for (const need of file.versionNeeds) {
      if (need.weak || need.version === 'GLIBC_PRIVATE' || !host.has(need.library)) continue;
      const at = effectiveVersion(need.version);
      const family = at?.family as FloorFamily | undefined;
      const floorFamily = at !== null && family !== undefined && FLOOR_ORDER.includes(family) && coversLibrary(family, need.library) ? family : null;
      const symbols = file.culprits.filter((c) => c.version === need.version && c.library === need.library).map((c) => c.symbol ?? c.version);
      if (floorFamily === null || at === null) {
        const versions = library(need.library).versions;
        if (!versions.has(need.version)) versions.set(need.version, new Map());
        const causes = cause(versions.get(need.version) ?? new Map(), file.path);
        for (const s of symbols) causes.add(s);
        continue;
      }
      const current = floors.get(floorFamily);
      const order = current === undefined ? 1 : compareVersions(at.version, current.version);
      if (order > 0) floors.set(floorFamily, { version: at.version, causes: new Map([[file.path, new Set(symbols.length > 0 ? symbols : [need.version])]]) });
      else if (order === 0 && current !== undefined) for (const s of symbols.length > 0 ? symbols : [need.version]) cause(current.causes, file.path).add(s);
    }
  }

  const causes = (map: Map<string, Set<string>>): HostCause[] =>
    [...map].map(([path, symbols]) => ({ path, symbols: [...symbols].sort() })).sort(byPath);
  return {
    machine,
    libc,
    kernel: kernel === null ? null : { version: kernel.version, forcedBy: [...kernel.paths].sort().map((path) => ({ path, symbols: [] })) },
    floors: FLOOR_ORDER.flatMap((family) => {
      const floor = floors.get(family);
      return floor === undefined ? [] : [{ family, library: FLOOR_LIBRARY[family], version: floor.version, forcedBy: causes(floor.causes) }];
    }),
    libraries: [...libraries]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, lib]) => ({
        name,
        versions: [...lib.versions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([version, map]) => ({ version, neededBy: causes(map) })),
        neededBy: causes(lib.causes),
      })),
  };
}

/** Whether a family's floor library speaks for versions needed from `library`. */
function coversLibrary(family: FloorFamily, library: string): boolean {
  return family === 'GLIBC' ? GLIBC_LIBRARIES.test(library) : library === FLOOR_LIBRARY[family];
}
