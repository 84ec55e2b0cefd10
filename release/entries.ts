/**
 * What an entry of a release may be, entry by entry: its path, its type, its mode, and the
 * macOS litter no release should carry. packager leaves litter out and refuses the rest while it
 * builds; doctor fails a tarball for any of it. Links, which need the entries before them, are
 * judged by EntryWalk (entry-walk.ts) on top of these rules.
 */

/** The entry types a tar stream can hold, as the toolkit names them. */
export type EntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo' | 'other';

/** An entry as both sides see it: packager before packing, doctor as it streams by. */
export interface ReleaseEntry {
  /** As stored in the archive, unmodified. */
  path: string;
  kind: EntryKind;
  /** Permission bits including setuid/setgid/sticky. */
  mode: number;
  linkpath: string | null;
}

/** node-tar's default `maxDepth` for extraction. */
export const MAX_DEPTH = 1024;

const DRIVE = /^[A-Za-z]:/;

/** A path that names a place outside the folder it is extracted into, before any link. */
export function isAbsoluteOrDrive(path: string): boolean {
  return path.startsWith('/') || DRIVE.test(path) || path.includes('\\');
}

/** What is wrong with an entry's name alone; the first findings are the escapes. */
export function pathFindings(path: string): string[] {
  const out: string[] = [];
  if (isAbsoluteOrDrive(path)) out.push('absolute or drive path');
  const parts = path.split('/');
  if (parts.includes('..')) out.push("'..' component");
  let depth = 0;
  for (const part of parts) if (part !== '' && part !== '.') depth += 1;
  if (depth > MAX_DEPTH) out.push(`${depth} levels deep (more than ${MAX_DEPTH})`);
  if (path.includes('\0')) out.push('NUL byte in the path');
  return out;
}

/** What is wrong with an entry's type and mode: nothing a release holds needs either. */
export function kindFindings(kind: EntryKind, mode: number): string[] {
  const out: string[] = [];
  if (kind === 'chardev' || kind === 'blockdev') out.push(`${kind === 'chardev' ? 'character' : 'block'} device`);
  if (kind === 'fifo') out.push('FIFO');
  if ((mode & 0o4000) !== 0) out.push('setuid bit');
  if ((mode & 0o2000) !== 0) out.push('setgid bit');
  return out;
}

/** Files macOS adds to what it touches: AppleDouble `._*`, `__MACOSX/`, `.DS_Store`. */
export type MacLitter = 'macosx' | 'appleDouble' | 'dsStore';

export const MAC_LITTER_LABEL: Readonly<Record<MacLitter, string>> = {
  macosx: '__MACOSX/ folder',
  appleDouble: 'AppleDouble file',
  dsStore: '.DS_Store',
};

/** Which kind of macOS litter a path is, or null for an ordinary path. */
export function macLitterOf(path: string): MacLitter | null {
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  const base = parts[parts.length - 1] ?? '';
  if (parts.includes('__MACOSX')) return 'macosx';
  if (base.startsWith('._')) return 'appleDouble';
  if (base === '.DS_Store') return 'dsStore';
  return null;
}

/**
 * Pax keys macOS bsdtar writes for extended attributes (GNU tar warns "Ignoring unknown extended
 * header keyword"): a tarball packed on a Mac.
 */
export function isXattrPaxKey(key: string): boolean {
  return key.startsWith('LIBARCHIVE.xattr.') || key.startsWith('SCHILY.xattr.');
}
