import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MalformedElfError } from '../errors.js';
import type { ByteSource } from '../types.js';

/**
 * The three places bytes come from: a file handle (a folder walk, read by range so a 100 MB node
 * binary is never read whole), one Buffer, and the chunks of a tar entry as a stream produced
 * them (never concatenated: a copy of a 100 MB entry would double the memory of a scan).
 */

function checkRange(size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new MalformedElfError(`invalid read of ${length} bytes at offset ${offset}`);
  }
  if (offset + length > size) {
    throw new MalformedElfError(
      `read of ${length} bytes at offset 0x${offset.toString(16)} runs past the end of the file (${size} bytes)`,
    );
  }
}

export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number | null;
  private read_ = 0;

  /** Takes ownership of `fd`: `close()` closes it. */
  constructor(fd: number, size?: number) {
    this.fd = fd;
    this.size = size ?? fstatSync(fd).size;
  }

  static open(path: string): FileSource {
    const fd = openSync(path, 'r');
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new Error(`${path} is not a regular file`);
      return new FileSource(fd, stat.size);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  get bytesRead(): number {
    return this.read_;
  }

  read(offset: number, length: number): Buffer {
    checkRange(this.size, offset, length);
    if (this.fd === null) throw new Error('FileSource read after close');
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, offset + done);
      if (n === 0) {
        // The file shrank between stat and read: what we have is a truncated file.
        throw new MalformedElfError(`file ended at ${offset + done} bytes while reading (expected ${this.size})`);
      }
      done += n;
    }
    this.read_ += length;
    return out;
  }

  close(): void {
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
  }
}

export class BufferSource implements ByteSource {
  readonly size: number;
  private read_ = 0;

  constructor(private readonly buf: Buffer) {
    this.size = buf.length;
  }

  get bytesRead(): number {
    return this.read_;
  }

  read(offset: number, length: number): Buffer {
    checkRange(this.size, offset, length);
    this.read_ += length;
    return this.buf.subarray(offset, offset + length);
  }
}

export class ChunkSource implements ByteSource {
  readonly size: number;
  private readonly chunks: readonly Buffer[];
  /** starts[i] is the file offset of chunks[i]; searched by bisection. */
  private readonly starts: number[];
  private read_ = 0;

  constructor(chunks: readonly Buffer[]) {
    this.chunks = chunks.filter((c) => c.length > 0);
    this.starts = [];
    let at = 0;
    for (const chunk of this.chunks) {
      this.starts.push(at);
      at += chunk.length;
    }
    this.size = at;
  }

  get bytesRead(): number {
    return this.read_;
  }

  private chunkAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  read(offset: number, length: number): Buffer {
    checkRange(this.size, offset, length);
    this.read_ += length;
    if (length === 0) return Buffer.alloc(0);
    let index = this.chunkAt(offset);
    const first = this.chunks[index] as Buffer;
    const start = offset - (this.starts[index] ?? 0);
    if (start + length <= first.length) return first.subarray(start, start + length);
    // The range spans chunks: copy only the range itself.
    const out = Buffer.allocUnsafe(length);
    let done = first.copy(out, 0, start);
    while (done < length) {
      index += 1;
      const chunk = this.chunks[index] as Buffer;
      done += chunk.copy(out, done, 0, Math.min(chunk.length, length - done));
    }
    return out;
  }
}
