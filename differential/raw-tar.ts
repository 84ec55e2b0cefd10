/**
 * A tar writer that does what it is told, field by field, so the harness can write what no
 * well-behaved tool writes: GNU records, global and repeated pax headers, odd magic, base-256 or
 * space-riddled numbers, bytes after a field's NUL, sizes on links, lone zero blocks.
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
  put(block, 329, 8, undefined, 0);
  put(block, 337, 8, undefined, 0);
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
