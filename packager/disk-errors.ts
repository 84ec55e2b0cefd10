/**
 * A full disk, a quota or a read-only mount is the user's to fix, not a bug: exit 2 with the
 * folder named (`internal error: ENOSPC` said neither). The folder comes from the error's path
 * when it has one; a failed write on an open stream has none, so the build says which folder it
 * was writing in at the time.
 */
import { ToolError } from '../abi-gate/index.js';

const DISK_CODES = {
  ENOSPC: { code: 'NO_SPACE', what: 'no space left', hint: 'free some space there' },
  EDQUOT: { code: 'QUOTA_EXCEEDED', what: 'disk quota exceeded', hint: 'free some space or raise the quota' },
  EROFS: { code: 'READ_ONLY', what: 'read-only file system', hint: 'remount it read-write' },
} as const;

export type DiskErrno = keyof typeof DISK_CODES;

export interface Folder {
  /** How the user knows it: `--out dist`, `the temp folder /tmp (TMPDIR)`. */
  label: string;
  path: string;
  /** What else the user can do: `or pass another --out`. */
  otherwise: string;
}

export function diskErrno(error: unknown): DiskErrno | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS' ? code : null;
}

function inside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith('/') ? folder : `${folder}/`);
}

/**
 * The ToolError for a disk error, or the error unchanged. `folders` are checked against the
 * error's path, longest first; `current` is the folder being written when the error has no path.
 */
export function asDiskError(error: unknown, folders: readonly Folder[], current: Folder): unknown {
  const errno = diskErrno(error);
  if (errno === null || error instanceof ToolError) return error;
  const path = (error as NodeJS.ErrnoException).path;
  const byPath = path === undefined ? undefined : [...folders].sort((a, b) => b.path.length - a.path.length).find((f) => inside(path, f.path));
  const folder = byPath ?? current;
  const { code, what, hint } = DISK_CODES[errno];
  return new ToolError(code, `${what} in ${folder.label} (${errno})`, { hint: `${hint}, ${folder.otherwise}`, exitCode: 2, cause: error });
}
