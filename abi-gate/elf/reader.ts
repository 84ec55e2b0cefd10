import { MalformedElfError } from '../errors.js';
import type { ByteSource } from '../types.js';

/**
 * Bounds-checked, endian-aware access to one ELF file. Every read names what it reads, so a
 * hostile file gets a message like `.gnu.version_r at 0x4000 (64 bytes) runs past the end of
 * the file`. Reads inside the sniffed head are served from memory, and the total read is capped
 * so that overlapping tables cannot make a small file cost more than its own size many times.
 */

/**
 * Slack over the file size for the read cap: chunked reads of tables of unknown length (a few
 * KiB each at most) may overlap a neighbouring table a little.
 */
export const READ_SLACK_BYTES = 16 * 1024;

export const hex = (n: number): string => `0x${n.toString(16)}`;

export class ElfReader {
  readonly size: number;
  readonly little: boolean;
  readonly is64: boolean;
  private readonly head: Buffer;
  private readonly source: ByteSource;
  private readonly limit: number;
  private readonly startBytes: number;

  constructor(source: ByteSource, head: Buffer, little: boolean, is64: boolean) {
    this.source = source;
    this.size = source.size;
    this.head = head;
    this.little = little;
    this.is64 = is64;
    this.startBytes = source.bytesRead;
    this.limit = source.size + READ_SLACK_BYTES;
  }

  /** Throws unless [offset, offset+length) lies inside the file. */
  check(what: string, offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new MalformedElfError(`${what}: invalid range (offset ${offset}, ${length} bytes)`);
    }
    if (offset > this.size || length > this.size - offset) {
      throw new MalformedElfError(
        `${what} at ${hex(offset)} (${length} bytes) runs past the end of the file (${this.size} bytes)`,
      );
    }
  }

  read(what: string, offset: number, length: number): Buffer {
    this.check(what, offset, length);
    if (offset + length <= this.head.length) return this.head.subarray(offset, offset + length);
    if (this.source.bytesRead - this.startBytes + length > this.limit) {
      throw new MalformedElfError(`${what}: tables overlap, reading them would exceed the file size`);
    }
    return this.source.read(offset, length);
  }

  // Field decoding. Callers slice buffers from `read`, so a short buffer is a bug in the caller
  // or a record cut short by the file: both are reported as malformed, never as a RangeError.

  private need(buf: Buffer, at: number, n: number): void {
    if (at < 0 || at + n > buf.length) {
      throw new MalformedElfError(`record truncated (field at ${at}, ${n} bytes, record of ${buf.length})`);
    }
  }

  u8(buf: Buffer, at: number): number {
    this.need(buf, at, 1);
    return buf[at] as number;
  }

  u16(buf: Buffer, at: number): number {
    this.need(buf, at, 2);
    return this.little ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
  }

  u32(buf: Buffer, at: number): number {
    this.need(buf, at, 4);
    return this.little ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
  }

  /** A 64-bit field; values above 2^53 cannot be file offsets or sizes of a real file. */
  u64(buf: Buffer, at: number, what: string): number {
    this.need(buf, at, 8);
    const value = this.little ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new MalformedElfError(`${what} is out of range (0x${value.toString(16)})`);
    }
    return Number(value);
  }

  /** An address- or offset-sized field (Elf32_Addr/Off or Elf64_Addr/Off, Xword). */
  word(buf: Buffer, at: number, what: string): number {
    return this.is64 ? this.u64(buf, at, what) : this.u32(buf, at);
  }

  /** Bytes handed out by the source since this reader was made (head reads excluded). */
  get bytesRead(): number {
    return this.source.bytesRead - this.startBytes;
  }
}

/** Reads a NUL-terminated string at `index` of a string table held in memory. */
export function stringAt(table: Buffer, index: number, what: string): string {
  if (index >= table.length) {
    throw new MalformedElfError(`${what}: string offset ${index} is past the end of the string table (${table.length} bytes)`);
  }
  const end = table.indexOf(0, index);
  if (end < 0) throw new MalformedElfError(`${what}: string at offset ${index} is not NUL-terminated`);
  return table.toString('utf8', index, end);
}
