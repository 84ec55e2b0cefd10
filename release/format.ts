/**
 * The canonical release format: the one tar.gz layout packager writes and doctor accepts. GNU tar
 * 1.34, node-tar 7 and our own reader disagree on much of what tar allows (GNU records, global and
 * repeated pax headers, pax numbers, the ustar prefix under another magic, sizes on links, lone
 * zero blocks, bytes after a field's NUL); inside this format they cannot, so a verifier that
 * refuses everything else checks exactly what gets installed. The README's "Release format"
 * section is this file in prose; keep them together.
 */
import { isUtf8 } from 'node:buffer';
import { TAR_FIELDS } from '../abi-gate/index.js';
import { isTargetArch } from './arch.js';
import { COMMIT, RELEASE_NAME } from './naming.js';

/** What a rule is about; a violation names its entry and one of these. */
export type FormatRule =
  | 'gzip'
  | 'end'
  | 'header'
  | 'type'
  | 'extended-header'
  | 'name'
  | 'top-folder'
  | 'parent'
  | 'duplicate'
  | 'size'
  | 'mode'
  | 'owner'
  | 'link';

export interface FormatViolation {
  /** The entry's path as read (JSON-quoted in messages), or null for the archive as a whole. */
  entry: string | null;
  /** Tar offset of the header at fault, when there is one. */
  offset: number | null;
  rule: FormatRule;
  message: string;
}

/** ustar magic and version exactly as packager writes them (POSIX; not GNU's `ustar  \0`). */
export const USTAR_MAGIC = 'ustar\0';
export const USTAR_VERSION = '00';

/** The three entry types of a release: regular file, symlink, directory. */
export const RELEASE_TYPEFLAGS = { file: '0', symlink: '2', directory: '5' } as const;
export type ReleaseEntryType = keyof typeof RELEASE_TYPEFLAGS;

/**
 * The only modes: packager normalises to these (nothing group/world-writable, no setuid/setgid/
 * sticky). A symlink's mode is never used on Linux; 0755 is also allowed for it, as GNU tar's
 * `--mode=u+rwX,go+rX,go-w` writes it.
 */
export const RELEASE_MODES = { file: 0o644, executable: 0o755, directory: 0o755, symlink: 0o777 } as const;

/** The only pax keys, in an `x` header right before the entry, for names that do not fit ustar. */
export const PAX_KEYS: readonly string[] = ['path', 'linkpath'];

/** The largest size the 12-byte octal field holds; a release has no bigger file (no pax `size`). */
export const MAX_FILE_SIZE = 0o77777777777;

/** Linux limits: a longer component or path fails to extract (ENAMETOOLONG) on one side only. */
export const MAX_COMPONENT_BYTES = 255;
export const MAX_PATH_BYTES = 4095;

/** `<name>-<40 hex commit>-linux-<arch>` (naming.ts's rules): the one top folder. */
export function isTopFolderName(folder: string): boolean {
  const match = /^(.+)-([^-]+)-linux-([^-]+)$/.exec(folder);
  return match !== null && RELEASE_NAME.test(match[1] ?? '') && COMMIT.test(match[2] ?? '') && isTargetArch(match[3] ?? '');
}

/** C0 controls, DEL and C1 controls: never in a name or link target. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The name field of an entry whose path needs a pax `path`: the path cut to 100 bytes at a
 * character boundary; for anything but a folder never ending in '/', which a reader that ignores
 * the pax path (pre-POSIX ones, or one told to) takes for a folder without a body.
 */
export function ustarFallbackName(path: string, isDirectory: boolean): string {
  const bytes = Buffer.from(path);
  let cut = bytes.length <= 100 ? path : bytes.subarray(0, 100).toString('utf8').replace(/\uFFFD+$/, '');
  if (!isDirectory) cut = cut.replace(/\/+$/, '');
  return cut;
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * One pass over a path without allocating: true when it surely conforms (the common case);
 * false sends it to the thorough check, which also counts bytes of long components.
 */
function pathConforms(path: string, isDirectory: boolean): boolean {
  const n = path.length;
  if (n === 0 || n > MAX_PATH_BYTES || isDirectory !== (path.charCodeAt(n - 1) === 0x2f)) return false;
  const end = isDirectory ? n - 1 : n;
  let start = 0;
  // A UTF-16 code unit is at most 3 UTF-8 bytes; ASCII is one byte each.
  let ascii = true;
  let pathAscii = true;
  for (let i = 0; i <= end; i++) {
    const c = i === end ? 0x2f : path.charCodeAt(i);
    if (c === 0x2f) {
      const length = i - start;
      if (length === 0 || length > (ascii ? MAX_COMPONENT_BYTES : Math.floor(MAX_COMPONENT_BYTES / 3))) return false;
      if (path.charCodeAt(start) === 0x2e && (length === 1 || (length === 2 && path.charCodeAt(start + 1) === 0x2e))) return false;
      start = i + 1;
      ascii = true;
    } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0xfffd) return false;
    else if (c >= 0x80) ascii = pathAscii = false;
  }
  return pathAscii || n <= Math.floor(MAX_PATH_BYTES / 3);
}

/** Problems with a release path (folders end with exactly one '/'); empty when it conforms. */
export function namingProblems(path: string, isDirectory: boolean): readonly string[] {
  if (pathConforms(path, isDirectory)) return NONE;
  const out: string[] = [];
  if (CONTROL.test(path)) out.push('holds a NUL or control character');
  if (path.includes('\uFFFD')) out.push('is not valid UTF-8');
  if (path.startsWith('/')) out.push("starts with '/'");
  if (isDirectory !== path.endsWith('/')) out.push(isDirectory ? "is a folder whose name does not end in '/'" : "is not a folder but ends in '/'");
  const bare = isDirectory ? path.slice(0, -1) : path;
  const parts = bare.split('/');
  if (parts.some((p) => p === '')) out.push("has an empty component ('//', a leading '/' or a trailing '//')");
  if (parts.some((p) => p === '.')) out.push("has a '.' component (a leading './' puts the release one level too deep after --strip-components=1)");
  if (parts.some((p) => p === '..')) out.push("has a '..' component");
  if (parts.some((p) => Buffer.byteLength(p) > MAX_COMPONENT_BYTES)) out.push(`has a component over ${MAX_COMPONENT_BYTES} bytes`);
  if (Buffer.byteLength(bare) > MAX_PATH_BYTES) out.push(`is over ${MAX_PATH_BYTES} bytes`);
  return out;
}

/** Problems with a symlink target; `..` is allowed (where it resolves is the paths check's rule). */
export function linkTargetProblems(target: string): string[] {
  const out: string[] = [];
  if (target === '') return ['has an empty target'];
  if (CONTROL.test(target)) out.push('target holds a NUL or control character');
  if (target.includes('\uFFFD')) out.push('target is not valid UTF-8');
  if (target.startsWith('/')) out.push('target is absolute');
  const parts = target.split('/');
  if (parts.some((p) => p === '')) out.push("target has an empty component ('//' or a trailing '/')");
  if (parts.some((p) => p === '.')) out.push("target has a '.' component");
  if (Buffer.byteLength(target) > MAX_PATH_BYTES) out.push(`target is over ${MAX_PATH_BYTES} bytes`);
  return out;
}

type Field = keyof typeof TAR_FIELDS;

/** A number field as GNU tar, node-tar and our reader all read it alike: octal digits, then only NULs or spaces. */
export function octalField(block: Buffer, field: Field): number | undefined {
  const [start, length] = TAR_FIELDS[field];
  let i = start;
  const end = start + length;
  let value = 0;
  for (; i < end; i++) {
    const byte = block[i] as number;
    if (byte < 0x30 || byte > 0x37) break;
    value = value * 8 + (byte - 0x30);
  }
  if (i === start) return undefined;
  for (; i < end; i++) if (block[i] !== 0 && block[i] !== 0x20) return undefined;
  return value;
}

/** The field's bytes up to its first NUL, or null when anything but NULs follows that NUL. */
function cleanText(block: Buffer, field: Field): Buffer | null {
  const [start, length] = TAR_FIELDS[field];
  const end = start + length;
  let nul = start;
  while (nul < end && block[nul] !== 0) nul++;
  for (let i = nul + 1; i < end; i++) if (block[i] !== 0) return null;
  return block.subarray(start, nul);
}

/**
 * The rules every header block obeys, an `x` header's too: magic and version, the unsigned
 * checksum (GNU tar also takes a signed sum; node-tar does not), number syntax, nothing hidden
 * after a text field's NUL, owner 0:0 without names, zero device numbers. Returns problems.
 */
export function headerProblems(block: Buffer, unsignedSumChecked = false): readonly string[] {
  if (headerConforms(block, unsignedSumChecked)) return NONE;
  const out: string[] = [];
  const [magicAt] = TAR_FIELDS.magic;
  if (block.toString('latin1', magicAt, magicAt + 8) !== `${USTAR_MAGIC}${USTAR_VERSION}`) {
    out.push(`magic/version ${JSON.stringify(block.toString('latin1', magicAt, magicAt + 8))} is not "ustar\\u000000" (POSIX ustar)`);
  }
  const recorded = octalField(block, 'checksum');
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i] as number;
  for (let i = 156; i < 512; i++) sum += block[i] as number;
  if (recorded !== sum) out.push('checksum is not the octal unsigned byte sum');
  for (const field of ['mode', 'uid', 'gid', 'size', 'mtime'] as const) {
    if (octalField(block, field) === undefined) out.push(`${field} field is not plain octal digits ended by NUL or space`);
  }
  for (const field of ['devmajor', 'devminor'] as const) {
    const [start, length] = TAR_FIELDS[field];
    const empty = block.subarray(start, start + length).every((b) => b === 0);
    if (!empty && octalField(block, field) !== 0) out.push(`${field} is not zero`);
  }
  for (const field of ['name', 'linkname', 'prefix', 'uname', 'gname'] as const) {
    const text = cleanText(block, field);
    if (text === null) out.push(`${field} field has bytes after its NUL`);
    else if (!isUtf8(text)) out.push(`${field} field is not valid UTF-8`);
  }
  const [padAt, padLength] = TAR_FIELDS.pad;
  if (!block.subarray(padAt, padAt + padLength).every((b) => b === 0)) out.push('bytes 500-511 are not zero');
  if (octalField(block, 'uid') !== 0 || octalField(block, 'gid') !== 0) out.push('owner is not uid 0, gid 0');
  if ((cleanText(block, 'uname')?.length ?? 1) !== 0 || (cleanText(block, 'gname')?.length ?? 1) !== 0) {
    out.push('owner names are set (GNU tar as root chowns by name, node-tar by number)');
  }
  return out;
}

const CANONICAL_MAGIC = Buffer.from(`${USTAR_MAGIC}${USTAR_VERSION}`, 'latin1');

/** octalField without the table lookup: the value, or -1. */
function octalAt(block: Buffer, start: number, length: number): number {
  const end = start + length;
  let i = start;
  let value = 0;
  for (; i < end; i++) {
    const byte = block[i] as number;
    if (byte < 0x30 || byte > 0x37) break;
    value = value * 8 + (byte - 0x30);
  }
  if (i === start) return -1;
  for (; i < end; i++) if (block[i] !== 0 && block[i] !== 0x20) return -1;
  return value;
}

/** A text field followed by NULs only, and valid UTF-8 (ASCII needs no second look). */
function cleanAt(block: Buffer, start: number, length: number, mustBeEmpty: boolean): boolean {
  const end = start + length;
  let i = start;
  let high = false;
  for (; i < end && block[i] !== 0; i++) if ((block[i] as number) >= 0x80) high = true;
  if (mustBeEmpty && i !== start) return false;
  const textEnd = i;
  for (; i < end; i++) if (block[i] !== 0) return false;
  return !high || isUtf8(block.subarray(start, textEnd));
}

/**
 * headerProblems' rules in one pass without allocating, for the common header that conforms
 * (a release has tens of thousands); false sends the block to the thorough check.
 */
function headerConforms(block: Buffer, unsignedSumChecked: boolean): boolean {
  for (let k = 0; k < 8; k++) if (block[257 + k] !== CANONICAL_MAGIC[k]) return false;
  if (octalAt(block, 148, 8) < 0) return false;
  if (!unsignedSumChecked) {
    let sum = 8 * 0x20;
    for (let i = 0; i < 148; i++) sum += block[i] as number;
    for (let i = 156; i < 512; i++) sum += block[i] as number;
    if (octalAt(block, 148, 8) !== sum) return false;
  }
  if (octalAt(block, 100, 8) < 0 || octalAt(block, 108, 8) !== 0 || octalAt(block, 116, 8) !== 0) return false;
  if (octalAt(block, 124, 12) < 0 || octalAt(block, 136, 12) < 0) return false;
  // Device numbers: zero, or an empty (all-NUL) field.
  if (block[329] === 0 ? !cleanAt(block, 329, 8, true) : octalAt(block, 329, 8) !== 0) return false;
  if (block[337] === 0 ? !cleanAt(block, 337, 8, true) : octalAt(block, 337, 8) !== 0) return false;
  if (!cleanAt(block, 0, 100, false) || !cleanAt(block, 157, 100, false) || !cleanAt(block, 345, 155, false)) return false;
  if (!cleanAt(block, 265, 32, true) || !cleanAt(block, 297, 32, true)) return false;
  for (let i = 500; i < 512; i++) if (block[i] !== 0) return false;
  return true;
}

/** The raw name field ends in '/' (read without decoding it). */
export function nameFieldEndsWithSlash(block: Buffer): boolean {
  let end = 0;
  while (end < 100 && block[end] !== 0) end++;
  return end > 0 && block[end - 1] === 0x2f;
}

export interface PaxParse {
  /** Keys in order, duplicates kept. */
  keys: string[];
  values: Map<string, Buffer>;
  /** Why the body is not canonical records, or null. */
  problem: string | null;
}

/**
 * Reads an `x` body strictly: `<len> <key>=<value>\n` records with a decimal length without
 * leading zeros, filling the body exactly (no NUL padding, which readers treat differently).
 */
export function parseCanonicalPax(body: Buffer): PaxParse {
  const keys: string[] = [];
  const values = new Map<string, Buffer>();
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    const digits = space < 0 ? '' : body.toString('latin1', pos, space);
    if (!/^[1-9][0-9]{0,9}$/.test(digits)) return { keys, values, problem: `record at byte ${pos} has no canonical decimal length` };
    const end = pos + Number(digits);
    const eq = body.indexOf(0x3d, space + 1);
    if (end > body.length || body[end - 1] !== 0x0a || eq < 0 || eq >= end - 1) {
      return { keys, values, problem: `record at byte ${pos} is malformed` };
    }
    const key = body.toString('latin1', space + 1, eq);
    keys.push(key);
    values.set(key, body.subarray(eq + 1, end - 1));
    pos = end;
  }
  return { keys, values, problem: null };
}
