/**
 * Which bytes of an ELF streaming out of a tarball to keep for its scan. The scan reads the
 * headers, the dynamic section and the tables it points to (dynsym, dynstr, versions, hash) and
 * the section headers; linkers put the tables in the first PT_LOAD and the dynamic section and
 * section headers after the code and read-only data, which are most of a 100 MB node binary. The
 * tables' places are only known from the dynamic section, which comes late, so this is a bet:
 * a read outside the kept ranges marks the source `missed`, and the caller scans that entry again
 * with every byte (a second pass over the tarball).
 */
import { MalformedElfError } from './errors.js';
import { PT_DYNAMIC, PT_LOAD } from './elf/constants.js';
import { parseHeader } from './elf/header.js';
import type { ByteSource } from './types.js';

/** Bytes gathered before deciding; the program headers sit right after the ELF header. */
const DECIDE_AT = 64 * 1024;

type Ranges = readonly (readonly [number, number])[];

/** [start, end) ranges to keep, or null to keep everything (a layout this bet does not fit). */
export function keptRanges(head: Buffer, size: number): Ranges | null {
  let header: ReturnType<typeof parseHeader>;
  try {
    header = parseHeader(head, size);
  } catch {
    return null;
  }
  const is64 = header.class === 64;
  const little = header.endian === 'little';
  const end = header.phoff + header.phnum * header.phentsize;
  if (header.phnum === 0 || header.phentsize < (is64 ? 56 : 32) || end > head.length) return null;
  const u32 = (at: number): number => (little ? head.readUInt32LE(at) : head.readUInt32BE(at));
  const word = (at: number): number => (is64 ? Number(little ? head.readBigUInt64LE(at) : head.readBigUInt64BE(at)) : u32(at));
  let headEnd = Math.max(end, DECIDE_AT);
  let firstLoad = Number.POSITIVE_INFINITY;
  let dynamic = Number.POSITIVE_INFINITY;
  for (let i = 0; i < header.phnum; i++) {
    const at = header.phoff + i * header.phentsize;
    const type = u32(at);
    const offset = word(at + (is64 ? 8 : 4));
    const filesz = word(at + (is64 ? 32 : 16));
    if (type === PT_LOAD && offset < firstLoad) {
      firstLoad = offset;
      headEnd = Math.max(end, DECIDE_AT, offset + filesz);
    }
    if (type === PT_DYNAMIC) dynamic = Math.min(dynamic, offset);
  }
  const tailStart = Math.min(dynamic, header.shoff > 0 ? header.shoff : Number.POSITIVE_INFINITY);
  if (!Number.isFinite(tailStart) || tailStart <= headEnd || tailStart >= size) return null;
  return [
    [0, headEnd],
    [tailStart, size],
  ];
}

/** Collects an entry's chunks as they stream, dropping those no kept range touches. */
export class RetainedChunks {
  private pieces: Buffer[] = [];
  private starts: number[] = [];
  private at = 0;
  private ranges: Ranges | null | undefined;

  constructor(
    private readonly size: number,
    sparse: boolean,
  ) {
    this.ranges = sparse ? undefined : null;
  }

  push(chunk: Buffer): void {
    const start = this.at;
    this.at += chunk.length;
    if (this.ranges === undefined || this.ranges === null || touches(this.ranges, start, this.at)) {
      this.pieces.push(chunk);
      this.starts.push(start);
    }
    if (this.ranges === undefined && (this.at >= DECIDE_AT || this.at === this.size)) this.decide();
  }

  /** Bytes held now (whole chunks, as they touch a kept range). */
  get keptBytes(): number {
    let total = 0;
    for (const piece of this.pieces) total += piece.length;
    return total;
  }

  source(): RetainedSource {
    return new RetainedSource(this.pieces, this.starts, this.size);
  }

  private decide(): void {
    const head = this.pieces.length === 1 ? (this.pieces[0] as Buffer) : Buffer.concat(this.pieces);
    const ranges = keptRanges(head, this.size);
    this.ranges = ranges;
    if (ranges === null) return;
    const pieces: Buffer[] = [];
    const starts: number[] = [];
    this.pieces.forEach((piece, i) => {
      const start = this.starts[i] as number;
      if (touches(ranges, start, start + piece.length)) {
        pieces.push(piece);
        starts.push(start);
      }
    });
    this.pieces = pieces;
    this.starts = starts;
  }
}

function touches(ranges: Ranges, start: number, end: number): boolean {
  for (const [from, to] of ranges) if (start < to && end > from) return true;
  return false;
}

/** The kept chunks as a ByteSource; a read of a dropped byte throws and sets `missed`. */
export class RetainedSource implements ByteSource {
  missed = false;
  private read_ = 0;

  constructor(
    private readonly pieces: readonly Buffer[],
    private readonly starts: readonly number[],
    readonly size: number,
  ) {}

  get bytesRead(): number {
    return this.read_;
  }

  read(offset: number, length: number): Buffer {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new MalformedElfError(`read of ${length} bytes at offset 0x${offset.toString(16)} runs past the end of the file (${this.size} bytes)`);
    }
    this.read_ += length;
    if (length === 0) return Buffer.alloc(0);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    const out: Buffer[] = [];
    let at = offset;
    for (let i = lo; i < this.pieces.length && at < offset + length; i++) {
      const start = this.starts[i] as number;
      const piece = this.pieces[i] as Buffer;
      if (start > at || start + piece.length <= at) break;
      out.push(piece.subarray(at - start, Math.min(piece.length, offset + length - start)));
      at = start + Math.min(piece.length, offset + length - start);
    }
    if (at < offset + length) {
      this.missed = true;
      throw new MalformedElfError(`bytes at 0x${at.toString(16)} were not kept while streaming`);
    }
    return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out, length);
  }
}
