/**
 * Decodes one 512-byte tar header block (ustar, POSIX pax and GNU layouts) without copying it.
 * Numbers follow GNU tar: octal text padded with spaces or NULs, or base-256 (first byte 0x80
 * positive, 0xff negative) for values too large for the octal field.
 */

export const BLOCK = 512;

/** Where an entry's body starts in the tar stream: right after its own header block. */
export function bodyOffset(entry: { offset: number }): number {
  return entry.offset + BLOCK;
}

/** Where an entry ends in the tar stream: its header block, then its body padded to whole blocks. */
export function entryEndOffset(entry: { offset: number; size: number }): number {
  return entry.offset + BLOCK + Math.ceil(entry.size / BLOCK) * BLOCK;
}

/** Where each field of a ustar header block lives: [offset, length] (POSIX.1-2001 ustar). */
export const TAR_FIELDS = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  checksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
  pad: [500, 12],
} as const satisfies Record<string, readonly [number, number]>;

export interface HeaderBlock {
  /** The typeflag byte as a character; NUL (pre-POSIX regular file) reads as `'0'`. */
  typeflag: string;
  /** name, with the ustar prefix joined when the block carries one. */
  name: string;
  linkname: string;
  mode: number;
  uid: number;
  gid: number;
  /** The size field; may be negative when a base-256 field says so (the parser refuses it). */
  size: number;
  mtime: number | null;
  uname: string;
  gname: string;
  /** Which sum the checksum field holds: the POSIX unsigned one, or the signed one of old writers. */
  checksum: 'unsigned' | 'signed';
}

export type HeaderDecode =
  | { kind: 'null' }
  | { kind: 'header'; header: HeaderBlock }
  | { kind: 'bad'; reason: string };

/** Cuts a field at its first NUL, as tar readers do, and decodes it as UTF-8. */
function text(block: Buffer, start: number, length: number): string {
  let end = start;
  const limit = start + length;
  while (end < limit && block[end] !== 0) end++;
  return end === start ? '' : block.toString('utf8', start, end);
}

/** An octal or base-256 number field; undefined when it is neither (or beyond 2^53). */
export function numberField(block: Buffer, start: number, length: number): number | undefined {
  const first = block[start] as number;
  if (first === 0x80 || first === 0xff) {
    const negative = first === 0xff;
    let value = 0;
    for (let i = start + 1; i < start + length; i++) {
      const byte = block[i] as number;
      value = value * 256 + (negative ? 0xff - byte : byte);
    }
    if (negative) value = -value - 1;
    return Number.isSafeInteger(value) ? value : undefined;
  }
  let i = start;
  const end = start + length;
  while (i < end && block[i] === 0x20) i++;
  let value = 0;
  let digits = 0;
  for (; i < end; i++) {
    const byte = block[i] as number;
    if (byte >= 0x30 && byte <= 0x37) {
      value = value * 8 + (byte - 0x30);
      digits++;
    } else break;
  }
  // What may follow the digits: spaces and NULs only.
  for (; i < end; i++) {
    const byte = block[i];
    if (byte !== 0 && byte !== 0x20) return undefined;
  }
  if (digits === 0) return 0;
  return Number.isSafeInteger(value) ? value : undefined;
}

function isNullBlock(block: Buffer, start: number): boolean {
  for (let i = start; i < start + BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * The checksum is the sum of the header bytes with the checksum field read as spaces. GNU tar
 * also accepts the sum of signed bytes, which some historic writers stored.
 */
function checksumOf(block: Buffer, start: number): 'unsigned' | 'signed' | null {
  const recorded = numberField(block, start + 148, 8);
  if (recorded === undefined) return null;
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = start; i < start + BLOCK; i++) {
    if (i === start + 148) {
      i += 7;
      continue;
    }
    const byte = block[i] as number;
    unsigned += byte;
    signed += byte >= 0x80 ? byte - 0x100 : byte;
  }
  return recorded === unsigned ? 'unsigned' : recorded === signed ? 'signed' : null;
}

/** Decodes the block at `block[start .. start + 512)`. */
export function decodeHeader(block: Buffer, start: number): HeaderDecode {
  if (block[start] === 0 && isNullBlock(block, start)) return { kind: 'null' };
  const checksum = checksumOf(block, start);
  if (checksum === null) return { kind: 'bad', reason: 'checksum mismatch' };
  const size = numberField(block, start + 124, 12);
  if (size === undefined) return { kind: 'bad', reason: 'unreadable size field' };
  const flag = block[start + 156] as number;
  let name = text(block, start, 100);
  // POSIX ustar magic "ustar\0": a prefix may hold the leading folders. GNU's "ustar  \0" keeps
  // other fields there. Like node-tar, a NUL at byte 475 marks star's layout (a 130-byte prefix
  // followed by atime/ctime).
  const magic = block.toString('latin1', start + 257, start + 263);
  if (magic === 'ustar\0') {
    const prefix = text(block, start + 345, block[start + 475] !== 0 ? 155 : 130);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const ustar = magic === 'ustar\0' || magic === 'ustar ';
  const mtime = numberField(block, start + 136, 12);
  return {
    kind: 'header',
    header: {
      typeflag: flag === 0 ? '0' : String.fromCharCode(flag),
      name,
      linkname: text(block, start + 157, 100),
      mode: (numberField(block, start + 100, 8) ?? 0) & 0o7777,
      uid: numberField(block, start + 108, 8) ?? 0,
      gid: numberField(block, start + 116, 8) ?? 0,
      size,
      mtime: mtime ?? null,
      uname: ustar ? text(block, start + 265, 32) : '',
      gname: ustar ? text(block, start + 297, 32) : '',
      checksum,
    },
  };
}
