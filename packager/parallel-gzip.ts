/**
 * A gzip writer that compresses on several threads and still gives one gzip member whose bytes
 * depend only on the input: pigz's scheme. The uncompressed stream is cut into fixed-size blocks
 * (never by timing), each block is raw-deflated on its own with the previous block's last 32 KiB
 * as preset dictionary (so matches reach back across the cut and the ratio stays near gzip -6),
 * every block but the last ends with a sync flush (an empty stored block that leaves the output
 * byte-aligned, so the pieces concatenate into one deflate stream) and the last with Z_FINISH.
 * The header and trailer (CRC32 and size of all input) are written here.
 *
 * Node's async zlib runs each call on the libuv threadpool, so blocks in flight compress in
 * parallel; the number in flight bounds memory (about 2.2 MiB per block).
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { constants, crc32, deflateRaw } from 'node:zlib';

/** Fixed so that the output is the same on every machine; changing it changes every tarball. */
export const GZIP_BLOCK = 1 << 20;
/** deflate's window: the most a match can reach back, hence the dictionary's size. */
const WINDOW = 32 * 1024;
const LEVEL = 6;
/**
 * ID1 ID2, CM deflate, FLG none (no name, no comment), MTIME 0, XFL 0 (what gzip and zlib write
 * for level 6), OS 3 Unix whatever the build host (zlib on macOS writes 0x13).
 */
const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);

export interface GzipResult {
  /** sha256 of the compressed file, hex. */
  sha256: string;
  /** Bytes of the compressed file. */
  size: number;
  /** Bytes taken in. */
  inputSize: number;
}

export interface ParallelGzipOptions {
  /** Uncompressed block size; only tests pass another. */
  blockSize?: number;
  /**
   * Blocks compressing at once. Default: the cores plus one, so a core never waits on the main
   * thread, and at most 4, the size of libuv's threadpool (more would only queue and hold memory).
   */
  inFlight?: number;
}

function compressBlock(input: Buffer, dictionary: Buffer | null, last: boolean, blockSize: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    deflateRaw(
      input,
      {
        level: LEVEL,
        // Room for the whole block's output in one buffer: one threadpool job per block, not one per 16 KiB.
        chunkSize: blockSize + (blockSize >> 4) + 1024,
        finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
        ...(dictionary === null ? {} : { dictionary }),
      },
      (error, output) => (error === null ? resolve(output) : reject(error)),
    );
  });
}

/** Writes one gzip member to `handle`, hashing what it writes. */
export class ParallelGzipWriter {
  private readonly blockSize: number;
  private readonly inFlight: number;
  private readonly hash = createHash('sha256');
  private readonly pending: Array<{ input: Buffer; output: Promise<Buffer> }> = [];
  /** Input blocks whose compression finished, reused: fresh 1 MiB buffers cost page faults and GC. */
  private readonly spare: Buffer[] = [];
  private block: Buffer;
  private filled = 0;
  private dictionary: Buffer | null = null;
  private crc = 0;
  private inputSize = 0;
  private size = 0;
  private headerWritten = false;

  constructor(
    private readonly handle: FileHandle,
    options: ParallelGzipOptions = {},
  ) {
    this.blockSize = options.blockSize ?? GZIP_BLOCK;
    if (this.blockSize < WINDOW) throw new RangeError(`gzip block size ${this.blockSize} is below the ${WINDOW}-byte window`);
    this.inFlight = options.inFlight ?? Math.min(4, Math.max(2, availableParallelism() + 1));
    this.block = Buffer.allocUnsafe(this.blockSize);
  }

  /** Takes `chunk` (copied; the caller may reuse it). Resolves once there is room for more. */
  async write(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const copied = chunk.copy(this.block, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === this.blockSize) await this.dispatch(false);
    }
  }

  /** Compresses what is left, writes the trailer and returns what was written. Does not close the handle. */
  async end(): Promise<GzipResult> {
    await this.dispatch(true);
    while (this.pending.length > 0) await this.writeOldest();
    const trailer = Buffer.allocUnsafe(8);
    trailer.writeUInt32LE(this.crc, 0);
    // ISIZE is the input size modulo 2^32 (RFC 1952); >>> 0 is exactly that for sizes below 2^53.
    trailer.writeUInt32LE(this.inputSize >>> 0, 4);
    await this.emit(trailer);
    return { sha256: this.hash.digest('hex'), size: this.size, inputSize: this.inputSize };
  }

  /** Waits for the blocks in flight after a failure, so no callback outlives the writer. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.pending.splice(0).map((job) => job.output));
  }

  private async dispatch(last: boolean): Promise<void> {
    const input = this.filled === this.blockSize ? this.block : this.block.subarray(0, this.filled);
    this.crc = crc32(input, this.crc);
    this.inputSize += input.length;
    const output = compressBlock(input, this.dictionary, last, this.blockSize);
    // A block that fails while an earlier one is awaited is reported when its turn comes.
    output.catch(() => undefined);
    this.pending.push({ input: this.block, output });
    // A copy, since this block's buffer is reused once compressed. Only the last block may be
    // shorter than the window, and nothing follows it.
    this.dictionary = Buffer.from(input.subarray(Math.max(0, input.length - WINDOW)));
    this.block = this.spare.pop() ?? Buffer.allocUnsafe(this.blockSize);
    this.filled = 0;
    if (this.pending.length >= this.inFlight) await this.writeOldest();
  }

  private async writeOldest(): Promise<void> {
    const oldest = this.pending.shift();
    if (oldest === undefined) return;
    const output = await oldest.output;
    this.spare.push(oldest.input);
    await this.emit(output);
  }

  private async emit(bytes: Buffer): Promise<void> {
    if (!this.headerWritten) {
      this.headerWritten = true;
      await this.emit(HEADER);
    }
    this.hash.update(bytes);
    this.size += bytes.length;
    let offset = 0;
    while (offset < bytes.length) offset += (await this.handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
  }
}
