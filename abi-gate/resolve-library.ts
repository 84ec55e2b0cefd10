import { posix } from 'node:path';
import type { ScannedFile, TreeIndex } from './types.js';

/** The parts of a scanned file that decide where its NEEDED libraries come from. */
export type SearchPathOwner = Pick<ScannedFile, 'rpath' | 'runpath'>;

/**
 * The directories the loader searches for a file's own NEEDED entries, as tree paths. Like
 * glibc's elf/dl-load.c: DT_RPATH counts only when there is no DT_RUNPATH, `$ORIGIN` (also
 * `${ORIGIN}`) is the file's directory. Entries with `$LIB`/`$PLATFORM` depend on the host and
 * are skipped. Not modelled: LD_LIBRARY_PATH, an executable's RPATH inherited by its libraries.
 */
export function searchDirs(filePath: string, file: SearchPathOwner): string[] {
  const origin = posix.dirname(filePath);
  const list = file.runpath.length > 0 ? file.runpath : file.rpath;
  const dirs: string[] = [];
  for (const raw of list) {
    const dir = raw.replace(/\$\{ORIGIN\}|\$ORIGIN(?![A-Za-z0-9_])/g, origin);
    if (dir.includes('$') || dir === '') continue;
    dirs.push(dir);
  }
  return dirs;
}

/**
 * Where inside the tree the loader would find `needed` for the file at `filePath` (a path in the
 * same space as the tree's), or null when the tree does not ship it there.
 */
export function resolveNeeded(filePath: string, file: SearchPathOwner, needed: string, tree: TreeIndex): string | null {
  if (needed.includes('/')) {
    // A NEEDED with a slash is opened as a path, relative to the process's cwd: not the tree.
    return null;
  }
  for (const dir of searchDirs(filePath, file)) {
    const candidate = treePath(posix.join(dir, needed));
    if (candidate !== null && tree.has(candidate)) return candidate;
  }
  return null;
}

function treePath(path: string): string | null {
  const normalized = posix.normalize(path);
  if (normalized.startsWith('../') || normalized === '..') return null;
  return normalized.startsWith('./') ? normalized.slice(2) : normalized;
}
