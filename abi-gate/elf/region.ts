import { MalformedElfError } from '../errors.js';
import { type ElfReader, hex } from './reader.js';

/**
 * A table of unknown length (verneed/verdef chains) inside a known bound: a section's size, or
 * the end of the PT_LOAD segment that holds it. Reads a chunk at a time instead of the whole
 * bound, which for a segment can be most of a 100 MB file.
 */
export class Region {
  private chunkStart = 0;
  private chunk: Buffer = Buffer.alloc(0);

  constructor(
    private readonly r: ElfReader,
    readonly what: string,
    readonly offset: number,
    readonly length: number,
    private readonly chunkSize = 4096,
  ) {
    r.check(what, offset, length);
  }

  /** `size` bytes at `at` (relative to the region start). */
  bytes(at: number, size: number, field: string): Buffer {
    if (!Number.isSafeInteger(at) || at < 0 || at + size > this.length) {
      throw new MalformedElfError(`${this.what}: ${field} at ${hex(at)} runs past the end of the table (${this.length} bytes)`);
    }
    if (at < this.chunkStart || at + size > this.chunkStart + this.chunk.length) {
      const length = Math.min(this.length - at, Math.max(size, this.chunkSize));
      this.chunk = this.r.read(this.what, this.offset + at, length);
      this.chunkStart = at;
    }
    return this.chunk.subarray(at - this.chunkStart, at - this.chunkStart + size);
  }
}
