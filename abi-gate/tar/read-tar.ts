import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import createDebug from 'debug';
import { TarError } from './errors.js';
import { inflatePlace, ThreadpoolInflater, WorkerInflater, type Inflater } from './inflate.js';
import { TarParser } from './parser.js';
import type { ReadTarOptions, ReadTarResult, TarEntryHandler } from './types.js';

const debug = createDebug('remote-ai:abi-gate:tar');

/** Ratio checks start once this much was inflated: tiny archives of zeros are legitimately dense. */
const RATIO_GRACE_BYTES = 16 * 1024 * 1024;
/**
 * zlib's output chunk. The 16 KiB default costs a threadpool round trip per 16 KiB; 256 KiB
 * inflates as fast as larger sizes while a retained small binary pins little memory.
 */
const INFLATE_CHUNK = 256 * 1024;
const READ_CHUNK = 1024 * 1024;
/**
 * A file's first bytes, read before the rest to tell gzip from tar and look at its first member;
 * a worker that inflates the file reads them again, so they are few.
 */
const HEAD_BYTES = 64 * 1024;

/**
 * Reads a tar or tar.gz in one streaming pass and calls `onEntry` for every entry, in archive
 * order, one at a time (the next entry waits for the previous handler's promise). Nothing is
 * written to disk. Paths are reported as the archive states them (`/`, `..` and NULs kept), pax
 * records raw with unknown keys. Throws TarError (exit 2) for input that is not a readable archive.
 */
export async function readTar(
  input: NodeJS.ReadableStream | string,
  onEntry: TarEntryHandler,
  options: ReadTarOptions = {},
): Promise<ReadTarResult> {
  const label = options.label ?? (typeof input === 'string' ? input : '<stream>');
  const limits = options.limits ?? {};
  const maxRatio = limits.maxDecompressionRatio ?? 1000;
  const maxTarBytes = limits.maxTarBytes ?? Number.POSITIVE_INFINITY;
  const parser = new TarParser(
    label,
    { maxMetaEntrySize: limits.maxMetaEntrySize ?? 1024 * 1024, maxEntries: limits.maxEntries ?? Number.POSITIVE_INFINITY },
    onEntry,
  );
  const result: ReadTarResult = {
    gzip: false,
    inflatedOn: null,
    rawBytes: 0,
    tarBytes: 0,
    entries: 0,
    eof: false,
    loneZeroBlock: null,
    danglingMeta: [],
    gzipTrailerSize: null,
    gzipFlags: null,
    gzipFirstMemberEmpty: null,
  };
  /** The last 8 raw bytes seen: a gzip's trailer ends the file. */
  let tail = Buffer.alloc(8);
  let tailFill = 0;
  const rawHash: Hash | null = options.onRawHashed === undefined ? null : createHash('sha256');
  // A file's first chunk is read here; the rest by a stream from there, or by the worker.
  const head = typeof input === 'string' ? await readHead(input) : null;
  let source: NodeJS.ReadableStream | null = typeof input === 'string' ? null : input;
  let raw: AsyncIterator<Buffer | string> | null = source === null ? null : (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  /** The compressed bytes after `first`, read on this thread. */
  const rest = (): AsyncIterator<Buffer | string> => {
    if (raw === null && typeof input === 'string') {
      source = createReadStream(input, { highWaterMark: READ_CHUNK, start: head?.first.length ?? 0 });
      raw = (source as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
    }
    return raw as AsyncIterator<Buffer | string>;
  };
  let gunzip: Inflater | null = null;
  /** Compressed bytes taken so far, for the ratio check (the worker counts those it reads itself). */
  const rawSoFar = (): number => Math.max(result.rawBytes, gunzip?.bytesWritten ?? 0);

  /** Hands one chunk of plain tar to the parser, waiting as long as the handlers hold it. */
  const feedTar = async (chunk: Buffer): Promise<void> => {
    const offset = result.tarBytes;
    result.tarBytes += chunk.length;
    if (result.tarBytes > maxTarBytes) {
      throw new TarError('limit', `${label}: more than ${maxTarBytes} uncompressed bytes`);
    }
    if (result.gzip && result.tarBytes > RATIO_GRACE_BYTES && result.tarBytes > rawSoFar() * maxRatio) {
      throw new TarError('limit', `${label}: decompresses more than ${maxRatio} times its size (a gzip bomb?)`);
    }
    // The tap gets the chunk before it is framed, and its backpressure is awaited after: the
    // tap's reader (a container's tar) and the parser work on the same bytes at once.
    const tapped = options.onTarChunk?.(chunk);
    let wait = parser.write(chunk, offset);
    while (wait !== null) {
      await wait;
      wait = parser.run();
    }
    if (parser.failure !== null) throw parser.failure;
    if (tapped !== undefined) await tapped;
  };

  const countRaw = (chunk: Buffer): void => {
    rawHash?.update(chunk);
    result.rawBytes += chunk.length;
    if (chunk.length >= 8) {
      chunk.copy(tail, 0, chunk.length - 8);
      tailFill = 8;
    } else {
      const keep = Math.min(tailFill, 8 - chunk.length);
      tail.copyWithin(0, tailFill - keep, tailFill);
      chunk.copy(tail, keep);
      tailFill = keep + chunk.length;
    }
  };
  /** Every raw byte was read: the caller gets the file's hash. */
  const rawDone = (): void => {
    if (rawHash !== null) options.onRawHashed?.(rawHash.digest('hex'), result.rawBytes);
  };

  try {
    const first = head === null ? await nextBuffer(raw as AsyncIterator<Buffer | string>) : head.first.length === 0 ? null : head.first;
    if (first === null) throw new TarError('truncated', `${label}: empty file, not a tar archive`);
    result.gzip = first[0] === 0x1f && (first.length < 2 || first[1] === 0x8b);
    if (!result.gzip && options.requireGzip === true) {
      throw new TarError('not-gzip', `${label}: not a gzip file (no 1f 8b magic)`, { hint: 'expected a .tar.gz' });
    }
    if (result.gzip) {
      result.gzipFlags = first.length >= 4 ? (first[3] as number) : null;
      result.gzipFirstMemberEmpty = result.gzipFlags === 0 ? firstMemberEmpty(first) : null;
      const place = inflatePlace(options.inflate ?? 'auto', head?.size ?? null);
      // A file inflated on the worker is read there too: this thread never touches its
      // compressed bytes.
      const byWorker = place === 'worker' && typeof input === 'string';
      const g: Inflater =
        place === 'main-thread'
          ? new ThreadpoolInflater(INFLATE_CHUNK)
          : new WorkerInflater(INFLATE_CHUNK, byWorker ? { file: { path: input as string, sha256: rawHash !== null } } : {});
      gunzip = g;
      result.inflatedOn = g.place;
      // The compressed side runs on its own: zlib inflates off this thread while this thread
      // frames, hashes and scans what came out before.
      const pumped = byWorker ? Promise.resolve() : pump(first, rest(), g, countRaw).then((all) => (all ? rawDone() : undefined));
      pumped.catch(() => undefined);
      try {
        for (let chunk = await g.next(); chunk !== null; chunk = await g.next()) await feedTar(chunk);
      } catch (error) {
        throw gunzipError(label, error);
      }
      await pumped;
      if (byWorker) {
        const file = (g as WorkerInflater).file as NonNullable<WorkerInflater['file']>;
        result.rawBytes = file.bytes;
        tail = Buffer.from(file.tail);
        tailFill = file.tail.length;
        if (file.sha256 !== null) options.onRawHashed?.(file.sha256, file.bytes);
      }
      finishTar(parser);
      await parser.settled();
      // zlib stops at the end of the last member and ignores zeros after it: bytes it did not
      // take are trailing data.
      if (g.bytesWritten < result.rawBytes) throw trailingData(label, result.rawBytes - g.bytesWritten);
    } else {
      countRaw(first);
      await feedTar(first);
      const more = rest();
      for (let chunk = await nextBuffer(more); chunk !== null; chunk = await nextBuffer(more)) {
        countRaw(chunk);
        await feedTar(chunk);
      }
      rawDone();
      finishTar(parser);
      await parser.settled();
    }
    if (parser.failure !== null) throw parser.failure;
  } catch (error) {
    parser.fail(error);
    debug('%s: aborting: %o', label, error);
    gunzip?.destroy();
    // A handler that was mid-body has been told; let it unwind (close its files) before the
    // caller goes on.
    await parser.settled();
    throw parser.failure;
  } finally {
    const opened = source as NodeJS.ReadableStream | null;
    if (opened !== null && 'destroy' in opened && typeof opened.destroy === 'function') opened.destroy();
  }
  result.entries = parser.entries;
  result.eof = parser.eof;
  result.loneZeroBlock = parser.loneZeroBlock;
  result.danglingMeta = parser.danglingMeta;
  if (result.gzip && tailFill === 8) result.gzipTrailerSize = tail.readUInt32LE(4);
  return result;
}

/** Fixed gzip header without optional fields (RFC 1952 2.3). */
const GZIP_HEADER = 10;

/**
 * Whether the first gzip member (a plain 10-byte header) inflates to nothing within `first`.
 * Cheap: zlib stops as soon as one byte comes out, which for a real member is at once.
 */
function firstMemberEmpty(first: Buffer): boolean | null {
  if (first.length <= GZIP_HEADER) return null;
  const deflated = first.subarray(GZIP_HEADER);
  try {
    const { buffer, engine } = inflateRawSync(deflated, { maxOutputLength: 1, finishFlush: zlibConstants.Z_SYNC_FLUSH, info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    if (buffer.length > 0) return false;
    // Nothing came out: an empty member if its deflate stream ended here, else too little input.
    return engine.bytesWritten < deflated.length ? true : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return false;
    // A corrupt stream: the main inflate reports it.
    return null;
  }
}

function finishTar(parser: TarParser): void {
  if (parser.failure !== null) throw parser.failure;
  parser.finish();
}

async function nextBuffer(raw: AsyncIterator<Buffer | string>): Promise<Buffer | null> {
  for (;;) {
    const next = await raw.next();
    if (next.done === true) return null;
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    if (chunk.length > 0) return chunk;
  }
}

/**
 * Feeds the compressed bytes into zlib with backpressure; a read error ends zlib with it. True
 * when every byte was read (zlib may end before the input does: the rest is trailing data).
 */
async function pump(first: Buffer, raw: AsyncIterator<Buffer | string>, gunzip: Inflater, onChunk: (chunk: Buffer) => void): Promise<boolean> {
  try {
    for (let chunk: Buffer | null = first; chunk !== null; chunk = await nextBuffer(raw)) {
      onChunk(chunk);
      if (gunzip.destroyed) return false;
      await gunzip.write(chunk);
    }
    if (!gunzip.destroyed) gunzip.end();
    return true;
  } catch (error) {
    gunzip.destroy(error as Error);
    throw error;
  }
}

function gunzipError(label: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof TarError || typeof code !== 'string' || !code.startsWith('Z_')) return error;
  const truncated = code === 'Z_BUF_ERROR';
  const message = (error as Error).message;
  return new TarError(
    truncated ? 'truncated' : 'gzip-corrupt',
    truncated
      ? `${label}: gzip stream is truncated (${message})`
      : `${label}: gzip stream is corrupt or has trailing garbage (${message})`,
    { hint: 'the file is damaged; download or build it again', cause: error },
  );
}

function trailingData(label: string, bytes: number): TarError {
  return new TarError('trailing-garbage', `${label}: ${bytes} bytes of trailing data after the gzip stream`, {
    hint: 'the file was appended to or padded; build it again',
  });
}

/** The file's size and first chunk; TarError 'missing' when it cannot be read. */
async function readHead(path: string): Promise<{ size: number; first: Buffer }> {
  let handle;
  try {
    handle = await open(path, 'r');
    const info = await handle.stat();
    if (!info.isFile()) throw new TarError('missing', `${path}: not a regular file`);
    const first = Buffer.allocUnsafe(Math.min(HEAD_BYTES, info.size));
    let filled = 0;
    while (filled < first.length) {
      const { bytesRead } = await handle.read(first, filled, first.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { size: info.size, first: first.subarray(0, filled) };
  } catch (error) {
    if (error instanceof TarError) throw error;
    throw new TarError('missing', `${path}: cannot read the archive (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      hint: 'check the path',
    });
  } finally {
    await handle?.close();
  }
}
