/**
 * The gate's prediction for one concrete runtime: would the dynamic loader of a host with this
 * glibc and these libraries load each file? doctor boot compares it, file by file, with what the
 * loader of a real container did; a disagreement means the gate is wrong somewhere.
 *
 * It follows what glibc's loader does, not a policy: every non-weak vernaux entry is checked
 * against the definitions of the library that satisfies it (elf/dl-version.c), the libraries a
 * file loads from inside the tree are found through RPATH/RUNPATH with `$ORIGIN` (elf/dl-load.c)
 * and checked in turn, and a NEEDED library nobody provides is fatal.
 */
import { isGlibcLibrary } from './host-libraries.js';
import { compareVersions, isNumericVersion, splitVersion } from './requirements.js';
import { resolveNeeded } from './resolve-library.js';
import type { ScannedFile, TreeIndex, VersionNeed } from './types.js';

export interface Runtime {
  /** `getconf GNU_LIBC_VERSION` without the `glibc ` prefix, e.g. `2.31`. */
  glibc: string | null;
  /** Version definitions of the runtime's libraries by soname, where they were read. */
  versionDefs: Record<string, string[]>;
  /** Sonames the runtime's loader can find (its `ldconfig -p` for the file's arch). */
  libraries: string[];
}

export interface LoadPrediction {
  path: string;
  loads: boolean;
  /** Why it would not load, one line each, worded like the loader's own errors. */
  reasons: string[];
  /** In-tree libraries the file loads, transitively (tree paths). */
  loadsFromTree: string[];
}

function dirOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at === -1 ? '' : path.slice(0, at);
}

interface Resolved {
  kind: 'tree' | 'runtime' | 'missing';
  path?: string;
}

/**
 * Where the loader finds `soname` for `owner`, loaded by the chain `loaders` (outermost first):
 * the owner's own RUNPATH, or its RPATH (resolveNeeded), then, when the owner has no RUNPATH, the
 * RPATH of each object that loaded it (glibc elf/dl-load.c: DT_RPATH is inherited, DT_RUNPATH
 * is not), then the system (ld.so.cache).
 */
function resolveLoad(
  owner: ScannedFile,
  loaders: ScannedFile[],
  soname: string,
  tree: TreeIndex,
  runtimeLibraries: ReadonlySet<string>,
): Resolved {
  // glibc's own libraries are already loaded (by node, or by the loader for itself): the
  // runtime's copy answers, whatever the tree holds under that name.
  if (isGlibcLibrary(soname)) return runtimeLibraries.has(soname) ? { kind: 'runtime' } : { kind: 'missing' };
  const own = resolveNeeded(owner.path, owner, soname, tree);
  if (own !== null) return { kind: 'tree', path: own };
  if (owner.runpath.length === 0) {
    for (const loader of [...loaders].reverse()) {
      if (loader.runpath.length > 0) continue;
      const inherited = resolveNeeded(loader.path, { rpath: loader.rpath, runpath: [] }, soname, tree);
      if (inherited !== null) return { kind: 'tree', path: inherited };
    }
  }
  return runtimeLibraries.has(soname) ? { kind: 'runtime' } : { kind: 'missing' };
}

/** Is `need` satisfied by the runtime's copy of its library? */
function runtimeProvides(need: VersionNeed, runtime: Runtime): boolean {
  const defs = runtime.versionDefs[need.library];
  // A library without version definitions satisfies every entry: the loader only checks
  // libraries that define versions (glibc elf/dl-version.c, the musl case).
  if (defs !== undefined) return defs.length === 0 || defs.includes(need.version);
  const { family, version } = splitVersion(need.version);
  if (family === 'GLIBC' && isNumericVersion(version) && runtime.glibc !== null) return compareVersions(version, runtime.glibc) <= 0;
  return true;
}

function requiredBy(need: VersionNeed, file: ScannedFile): string {
  return `${need.library}: version \`${need.version}' not found (required by ${file.path})`;
}

/**
 * Predicts, for each of `targets`, whether the loader of `runtime` loads it together with every
 * library it pulls in. `files` holds every scanned ELF of the tree (paths relative to its root).
 */
export function predictLoad(
  targets: ScannedFile[],
  files: ScannedFile[],
  tree: TreeIndex,
  runtime: Runtime,
): LoadPrediction[] {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const runtimeLibraries = new Set(runtime.libraries);
  // A tree path may be a symlink (libfoo.so.1 -> libfoo.so.1.2.3) that the scan did not read:
  // the file it names carries that soname in the same folder.
  const shippedAt = (path: string, soname: string): ScannedFile | undefined =>
    byPath.get(path) ?? files.find((f) => f.soname === soname && dirOf(f.path) === dirOf(path));
  return targets.map((target) => {
    const reasons: string[] = [];
    const fromTree: string[] = [];
    const seen = new Set<string>([target.path]);
    const visit = (file: ScannedFile, loaders: ScannedFile[]): void => {
      // A file the loader refuses outright (elf/loadability.ts): nothing it needs is looked at.
      const refusals = (file.refusals ?? []).filter(
        (r) => r.since === undefined || runtime.glibc === null || compareVersions(runtime.glibc, r.since) < 0,
      );
      if (refusals.length > 0) {
        for (const r of refusals) reasons.push(`${file.path}: ${r.message}`);
        return;
      }
      const providers = new Map<string, Resolved>();
      for (const soname of file.needed) {
        const resolved = resolveLoad(file, loaders, soname, tree, runtimeLibraries);
        providers.set(soname, resolved);
        if (resolved.kind === 'missing') {
          reasons.push(`${soname}: cannot open shared object file (needed by ${file.path})`);
        }
      }
      for (const need of file.versionNeeds) {
        if (need.weak) continue;
        const provider = providers.get(need.library) ?? { kind: 'runtime' as const };
        if (provider.kind === 'missing') continue;
        const shipped = provider.kind === 'tree' && provider.path !== undefined ? shippedAt(provider.path, need.library) : undefined;
        const ok = shipped !== undefined
          ? shipped.versionDefs.length === 0 || shipped.versionDefs.includes(need.version)
          : runtimeProvides(need, runtime);
        if (!ok) reasons.push(requiredBy(need, file));
      }
      for (const [soname, provider] of providers) {
        if (provider.kind !== 'tree' || provider.path === undefined || seen.has(provider.path)) continue;
        seen.add(provider.path);
        fromTree.push(provider.path);
        const shipped = shippedAt(provider.path, soname);
        if (shipped !== undefined) visit(shipped, [...loaders, file]);
      }
    };
    visit(target, []);
    return { path: target.path, loads: reasons.length === 0, reasons, loadsFromTree: fromTree };
  });
}
