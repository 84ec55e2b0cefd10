/**
 * The single top folder of an archive, the one rule for "strip it" (`tar --strip-components=1`,
 * how the resolver installs a release). abi-gate's tarball scan needs it, so it lives here; the
 * release module re-exports it for packager and doctor.
 */

/** `./a//b/` -> `a/b`: how tar extractors treat a stored name. */
export function normalizeArchivePath(path: string): string {
  // Most stored names are already normal (`top/a/b`): no split and join for them.
  if (path !== '' && !path.startsWith('/') && !path.startsWith('./') && !path.endsWith('/') && !path.includes('//') && !path.includes('/./') && !path.endsWith('/.') && path !== '.') {
    return path;
  }
  return path
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

export interface ArchivePath {
  path: string;
  /** Whether the entry is a folder: a lone top-level file is no top folder. */
  directory: boolean;
}

/**
 * The folder every entry is, or is inside of; null when there is none (two top-level names, a
 * top-level file, no entries). Entries that name the archive root itself (`./`) are ignored.
 */
export function singleTopFolder(entries: Iterable<ArchivePath>): string | null {
  let top: string | null = null;
  for (const entry of entries) {
    const normal = normalizeArchivePath(entry.path);
    if (normal === '') continue;
    const slash = normal.indexOf('/');
    const first = slash === -1 ? normal : normal.slice(0, slash);
    if (slash === -1 && !entry.directory) return null;
    if (top === null) top = first;
    else if (top !== first) return null;
  }
  return top;
}

/**
 * A path relative to the top folder (`''` for the folder itself), null for a path outside it;
 * with no top folder (null), the normalised path.
 */
export function stripTopFolder(path: string, top: string | null): string | null {
  const normal = normalizeArchivePath(path);
  if (top === null) return normal;
  if (normal === top) return '';
  return normal.startsWith(`${top}/`) ? normal.slice(top.length + 1) : null;
}

/** The path without its first folder, whatever it is named; null for a top-level name. */
export function dropTopFolder(path: string): string | null {
  const normal = normalizeArchivePath(path);
  const slash = normal.indexOf('/');
  return slash === -1 ? null : normal.slice(slash + 1);
}
