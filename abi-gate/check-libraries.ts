import { posix } from 'node:path';
import type { ShippedLibraries } from './check-versions.js';
import { isGlibcLibrary } from './host-libraries.js';
import { resolveNeeded } from './resolve-library.js';
import type { Policy, ScannedFile, TreeIndex, Violation } from './types.js';

/**
 * Where a file's libraries come from, as the loader finds them (glibc elf/dl-load.c):
 * - its RUNPATH/RPATH entries, searched before the host's folders: an absolute one hands the
 *   choice to whoever can write there (`/tmp` is anyone's), a relative one to the process's
 *   working directory; an `$ORIGIN` one that climbs out of the scanned tree points at folders
 *   the release does not control (real packages such as sharp carry such entries for other
 *   install layouts: a warning);
 * - a NEEDED library must be on the policy's list or ship where the loader looks; glibc's own
 *   libraries are never taken from the tree, and shipping one is refused.
 */

/** The file's place in the scanned tree, in the tree's own path space. */
export interface Placement {
  /** The file's path relative to its root. */
  path: string;
  index: TreeIndex;
  /** A tree path back to a report path. */
  toReport(path: string): string;
  /** True when the root's paths start with the release's one top folder (a tarball, doctor). */
  archive: boolean;
}

const ORIGIN = /^(\$ORIGIN|\$\{ORIGIN\})(?=\/|$)/;

export function checkSearchPath(file: ScannedFile, place: Placement, violations: Violation[], warnings: Violation[]): void {
  for (const [tag, entries] of [['RUNPATH', file.runpath], ['RPATH', file.rpath]] as const) {
    for (const entry of entries) {
      const origin = ORIGIN.exec(entry);
      if (origin === null) {
        const where = entry.startsWith('/')
          ? 'an absolute folder, searched before the host\'s own: whoever can write there chooses the libraries it loads'
          : 'a folder relative to the working directory of whoever runs it';
        violations.push({
          path: file.path,
          kind: 'search-path',
          message: `${file.path}: ${tag} entry '${entry}' is ${where}; use $ORIGIN-relative entries`,
          culprits: [],
        });
        continue;
      }
      const rest = entry.slice(origin[0].length);
      // $LIB and $PLATFORM expand per host: where they lead is not known here.
      if (rest.includes('$')) continue;
      const escape = escapes(place, posix.normalize(posix.join(posix.dirname(place.path), `.${rest}`)));
      if (escape !== null) {
        warnings.push({
          path: file.path,
          kind: 'search-path',
          message: `${file.path}: ${tag} entry '${entry}' leads out of ${escape}; the loader searches there first`,
          culprits: [],
        });
      }
    }
  }
}

/** What the resolved folder leaves (the scanned tree, the release's top folder), or null when it stays inside. */
function escapes(place: Placement, resolved: string): string | null {
  if (resolved === '..' || resolved.startsWith('../')) return 'the scanned tree';
  if (!place.archive) return null;
  const top = place.path.split('/')[0];
  const parts = place.path.split('/');
  if (parts.length < 2 || top === undefined) return null;
  return resolved === top || resolved.startsWith(`${top}/`) ? null : `the release's top folder ${top}/`;
}

/** The NEEDED rule: returns the libraries the file loads from the tree. */
export function checkNeeded(file: ScannedFile, policy: Policy, place: Placement, byPath: ReadonlyMap<string, ScannedFile>, violations: Violation[]): ShippedLibraries {
  const shipped = new Map<string, ScannedFile | null>();
  for (const needed of file.needed) {
    // The host's glibc is the one the loader uses; a file of that name in the tree changes nothing.
    const inTree = isGlibcLibrary(needed) ? null : resolveNeeded(place.path, file, needed, place.index);
    if (inTree !== null) {
      shipped.set(needed, byPath.get(place.toReport(inTree)) ?? null);
      continue;
    }
    if (policy.libraryWhitelist.includes(needed)) continue;
    const where = file.runpath.length > 0 ? `RUNPATH ${file.runpath.join(':')}` : file.rpath.length > 0 ? `RPATH ${file.rpath.join(':')}` : 'no RUNPATH';
    violations.push({
      path: file.path,
      kind: 'library',
      library: needed,
      message: `${file.path}: needs ${needed}, which ${policy.name} hosts do not provide and the tree does not ship (${where})`,
      culprits: [],
    });
  }
  return shipped;
}

/** A release that ships glibc's own libc, loader, libm, libpthread, ... */
export function checkShippedGlibc(file: ScannedFile, violations: Violation[]): void {
  const name = posix.basename(file.path);
  const as = isGlibcLibrary(name) ? name : file.soname !== null && isGlibcLibrary(file.soname) ? file.soname : null;
  if (as === null) return;
  violations.push({
    path: file.path,
    kind: 'glibc-library',
    library: as,
    message: `${file.path}: a copy of glibc's ${as}; the host's glibc is the one every process already has loaded, and a second one breaks it: do not ship it`,
    culprits: [],
  });
}
