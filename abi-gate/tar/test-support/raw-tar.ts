/**
 * The one raw tar writer of the tests: it does what it is told, field by field, so tests can
 * write what no well-behaved tool writes: GNU records, global and repeated pax headers, odd
 * magic, base-256 or space-riddled numbers, bytes after a field's NUL, sizes on links, lone zero
 * blocks, absolute paths, `..`, devices, setuid bits, a path twice. node-tar's writer sanitises
 * exactly these, so it cannot be used for them.
 *
 * Three levels: header fields (`headerBlock`, `member`, `paxMember`, `gnuLongMember`); one-line
 * entries for the reader's own tests (`entryBytes`, `header`, `paxEntry`, `endBlocks`); whole
 * archives from entry specs (`buildTar`, `buildTarGz`), with pax records where a name needs them.
 */
import { gzipSync } from 'node:zlib';

export const BLOCK = 512;

export interface HeaderFields {
  name: string | Buffer;
  mode?: number | Buffer;
  uid?: number | Buffer;
  gid?: number | Buffer;
  /** The size field; defaults to the body's length. */
  size?: number | Buffer;
  mtime?: number | Buffer;
  typeflag?: string;
  linkname?: string | Buffer;
  /** 8 bytes: magic and version together (`ustar\0` `00` by default). */
  magic?: string;
  uname?: string;
  gname?: string;
  prefix?: string | Buffer;
  devmajor?: number | Buffer;
  devminor?: number | Buffer;
  /** Bytes 500-511. */
  pad?: Buffer;
  /** Override the checksum field (8 bytes), or 'signed' for GNU's signed-sum variant. */
  checksum?: Buffer | 'signed';
}

function octal(value: number, width: number): Buffer {
  return Buffer.from(`${value.toString(8).padStart(width - 1, '0')}\0`, 'latin1');
}

function put(block: Buffer, at: number, width: number, value: string | Buffer | number | undefined, fallback: number | string): void {
  const v = value ?? fallback;
  const bytes = typeof v === 'number' ? octal(v, width) : typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  bytes.copy(block, at, 0, Math.min(width, bytes.length));
}

export function headerBlock(fields: HeaderFields, bodyLength = 0): Buffer {
  const block = Buffer.alloc(BLOCK);
  put(block, 0, 100, fields.name, '');
  put(block, 100, 8, fields.mode, 0o644);
  put(block, 108, 8, fields.uid, 0);
  put(block, 116, 8, fields.gid, 0);
  put(block, 124, 12, fields.size, bodyLength);
  put(block, 136, 12, fields.mtime, 946684800);
  block.write(fields.typeflag ?? '0', 156, 1, 'latin1');
  put(block, 157, 100, fields.linkname, '');
  block.write(fields.magic ?? 'ustar\u000000', 257, 8, 'latin1');
  put(block, 265, 32, fields.uname, '');
  put(block, 297, 32, fields.gname, '');
  put(block, 329, 8, fields.devmajor, 0);
  put(block, 337, 8, fields.devminor, 0);
  put(block, 345, 155, fields.prefix, '');
  if (fields.pad !== undefined) fields.pad.copy(block, 500, 0, 12);
  sealChecksum(block, fields.checksum);
  return block;
}

/** Writes the checksum of `block` (unsigned unless told otherwise) in GNU tar's `%06o\0 ` form. */
export function sealChecksum(block: Buffer, how?: Buffer | 'signed'): void {
  if (Buffer.isBuffer(how)) {
    how.copy(block, 148, 0, 8);
    return;
  }
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += how === 'signed' && byte >= 0x80 ? byte - 0x100 : byte;
  block.write(`${(sum < 0 ? 0 : sum).toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}

export function padded(body: Buffer): Buffer {
  const rest = body.length % BLOCK;
  return rest === 0 ? body : Buffer.concat([body, Buffer.alloc(BLOCK - rest)]);
}

/** A header plus its padded body. */
export function member(fields: HeaderFields, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const data = Buffer.from(body);
  return Buffer.concat([headerBlock(fields, data.length), padded(data)]);
}

/** `"<len> key=value\n"`, len counting itself. */
export function paxRecord(key: string, value: string | Buffer): Buffer {
  const rest = Buffer.concat([Buffer.from(` ${key}=`), Buffer.from(value), Buffer.from('\n')]);
  let length = rest.length + 1;
  while (String(length).length + rest.length !== length) length++;
  return Buffer.concat([Buffer.from(String(length)), rest]);
}

/** An extended header (`x`, `g`, ...) with the given records, in order, duplicates allowed. */
export function paxMember(records: ReadonlyArray<readonly [string, string | Buffer]>, typeflag = 'x', name = 'PaxHeaders/x'): Buffer {
  return member({ name, typeflag }, Buffer.concat(records.map(([k, v]) => paxRecord(k, v))));
}

/** A GNU long name (`L`) or long link (`K`) record, as GNU tar writes it. */
export function gnuLongMember(typeflag: 'L' | 'K', value: string): Buffer {
  return member({ name: '././@LongLink', typeflag, magic: 'ustar  \0', mode: 0o644 }, Buffer.from(`${value}\0`));
}

export const END = Buffer.alloc(BLOCK * 2);

export function gzip(tar: Buffer): Buffer {
  return gzipSync(tar);
}

// One-line entries, for the tar reader's own tests.

export interface RawEntry {
  name: string;
  typeflag?: string;
  body?: Buffer | string;
  linkname?: string;
  mode?: number;
  /** Overrides the size field (a lie about the body). */
  size?: number;
}

function fieldsOf(entry: RawEntry): HeaderFields {
  const fields: HeaderFields = { name: entry.name, typeflag: entry.typeflag ?? '0', mode: entry.mode ?? 0o644 };
  if (entry.linkname !== undefined) fields.linkname = entry.linkname;
  if (entry.size !== undefined) fields.size = entry.size;
  return fields;
}

/** The header block of `entry` alone (its size field from `size` or the body). */
export function header(entry: RawEntry): Buffer {
  return headerBlock(fieldsOf(entry), Buffer.byteLength(entry.body ?? ''));
}

export function entryBytes(entry: RawEntry): Buffer {
  return member(fieldsOf(entry), entry.body ?? Buffer.alloc(0));
}

/** A pax extended header ('x' or 'g') carrying the given records, byte-exact. */
export function paxEntry(records: Record<string, string>, typeflag: 'x' | 'g' = 'x'): Buffer {
  return paxMember(Object.entries(records), typeflag, 'PaxHeader/x');
}

export function endBlocks(): Buffer {
  return Buffer.from(END);
}

// Whole archives from entry specs.

export type TarEntryKind = 'file' | 'hardlink' | 'symlink' | 'chardev' | 'blockdev' | 'directory' | 'fifo';

export interface TarEntrySpec {
  path: string;
  type?: TarEntryKind;
  /** Permission bits including setuid/setgid; default 0644 for files, 0755 for folders. */
  mode?: number;
  content?: Buffer | string;
  linkpath?: string;
  /** Extra pax records written in an `x` header before this entry (e.g. `SCHILY.xattr.user.foo`). */
  pax?: Record<string, string>;
  devmajor?: number;
  devminor?: number;
}

const TYPE_FLAG: Readonly<Record<TarEntryKind, string>> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  chardev: '3',
  blockdev: '4',
  directory: '5',
  fifo: '6',
};

/** One entry: a pax header first when it has records or a name longer than its field. */
export function specMember(entry: TarEntrySpec): Buffer {
  const type = entry.type ?? 'file';
  const content = typeof entry.content === 'string' ? Buffer.from(entry.content) : (entry.content ?? Buffer.alloc(0));
  const pax: Record<string, string> = { ...entry.pax };
  if (Buffer.byteLength(entry.path) > 100) pax.path = entry.path;
  if (entry.linkpath !== undefined && Buffer.byteLength(entry.linkpath) > 100) pax.linkpath = entry.linkpath;
  const parts: Buffer[] = [];
  if (Object.keys(pax).length > 0) {
    const body = Buffer.concat(Object.entries(pax).map(([k, v]) => paxRecord(k, v)));
    parts.push(member({ name: `PaxHeaders/${entry.path.split('/').pop() ?? 'x'}`.slice(0, 99), typeflag: 'x', mtime: 0 }, body));
  }
  // A long path lives in the pax record; the name field keeps a cut that must not end in '/',
  // which old readers (and node-tar) take to mean a folder with no body.
  const name = Buffer.byteLength(entry.path) > 100 && type !== 'directory' ? entry.path.slice(0, 99).replace(/\/+$/, '_') : entry.path;
  const fields: HeaderFields = {
    name,
    mode: entry.mode ?? (type === 'directory' ? 0o755 : 0o644),
    typeflag: TYPE_FLAG[type],
    linkname: entry.linkpath ?? '',
    mtime: 0,
    devmajor: entry.devmajor ?? 0,
    devminor: entry.devminor ?? 0,
  };
  parts.push(member(fields, type === 'file' ? content : Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** A whole tar stream; `end: false` leaves out the two zero blocks that close an archive. */
export function buildTar(entries: readonly TarEntrySpec[], options: { end?: boolean } = {}): Buffer {
  const blocks = entries.map(specMember);
  if (options.end ?? true) blocks.push(END);
  return Buffer.concat(blocks);
}

export function buildTarGz(entries: readonly TarEntrySpec[], options: { end?: boolean } = {}): Buffer {
  return gzipSync(buildTar(entries, options));
}
