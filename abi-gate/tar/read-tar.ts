import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createGunzip, type Gunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import createDebug from 'debug';
import { BlockWalker, type HeaderRecord } from './block-walker.js';
import { TarError } from './errors.js';
import { ReadEntryBody, toInfo } from './entry.js';
import type { ReadTarOptions, ReadTarResult, TarEntryHandler } from './types.js';

const debug = createDebug('remote-ai:abi-gate:tar');


/** Ratio checks start once this much was inflated: tiny archives of zeros are legitimately dense. */
const RATIO_GRACE_BYTES = 16 * 1024 * 1024;

/**
 * Reads a tar or tar.gz in one streaming pass and calls `onEntry` for every entry, in archive
 * order, one at a time (the next entry waits for the previous handler's promise). Nothing is
 * written to disk. Paths are reported as the archive states them: node-tar's Parser does not
 * strip `/` or `..` (only its Unpack does), and pax records come raw from the block walker.
 * Throws TarError (exit 2) for input that is not a readable archive.
 */
export async function readTar(
  input: NodeJS.ReadableStream | string,
  onEntry: TarEntryHandler,
  options: ReadTarOptions = {},
): Promise<ReadTarResult> {
  const label = options.label ?? (typeof input === 'string' ? input : '<stream>');
  const limits = options.limits ?? {};
  const maxMeta = limits.maxMetaEntrySize ?? 1024 * 1024;
  const maxRatio = limits.maxDecompressionRatio ?? 1000;
  const maxTarBytes = limits.maxTarBytes ?? Number.POSITIVE_INFINITY;
  const maxEntries = limits.maxEntries ?? Number.POSITIVE_INFINITY;

  const source = typeof input === 'string' ? await openFile(input) : input;
  const walker = new BlockWalker(label, maxMeta);
  // zstd/brotli sniffing off: the stream reaching the Parser is always plain tar.
  const parser = new Parser({ strict: true, maxMetaEntrySize: maxMeta, zstd: false, brotli: false });
  const result: ReadTarResult = { gzip: false, rawBytes: 0, tarBytes: 0, entries: 0, eof: false };

  let failure: unknown = null;
  let gunzip: Gunzip | null = null;
  let feeder: GunzipFeeder | null = null;
  let chain: Promise<void> = Promise.resolve();
  let wakeFeeder: (() => void) | null = null;
  let abortBodies: (error: unknown) => void = () => undefined;
  // Handlers awaiting a body that will never end (the stream broke mid-entry) get this rejection.
  const aborted = new Promise<never>((_, reject) => {
    abortBodies = reject;
  });
  aborted.catch(() => undefined);

  const setWake = (wake: () => void): void => {
    wakeFeeder = wake;
  };

  const fail = (error: unknown): void => {
    if (failure !== null) return;
    failure = error;
    debug('%s: aborting: %o', label, error);
    gunzip?.destroy();
    abortBodies(error);
    wakeFeeder?.();
  };

  const feedTar = (chunk: Buffer): boolean => {
    result.tarBytes += chunk.length;
    if (result.tarBytes > maxTarBytes) {
      throw new TarError('limit', `${label}: more than ${maxTarBytes} uncompressed bytes`);
    }
    if (result.gzip && result.tarBytes > RATIO_GRACE_BYTES && result.tarBytes > result.rawBytes * maxRatio) {
      throw new TarError('limit', `${label}: decompresses more than ${maxRatio} times its size (a gzip bomb?)`);
    }
    walker.push(chunk);
    return parser.write(chunk);
  };

  const onParserEntry = (entry: ReadEntry, ignored: boolean): void => {
    let record: HeaderRecord;
    try {
      record = walker.take(entry.path, entry.size);
      result.entries++;
      if (result.entries > maxEntries) throw new TarError('limit', `${label}: more than ${maxEntries} entries`);
    } catch (error) {
      fail(error);
      entry.resume();
      return;
    }
    const info = toInfo(entry, record, ignored);
    chain = chain.then(async () => {
      if (failure !== null) {
        entry.resume();
        return;
      }
      const body = new ReadEntryBody(entry, aborted);
      try {
        await onEntry(info, body);
      } catch (error) {
        fail(error);
      }
      if (!body.used) entry.resume();
    });
  };

  parser.on('entry', (entry: ReadEntry) => onParserEntry(entry, false));
  parser.on('ignoredEntry', (entry: ReadEntry) => onParserEntry(entry, true));
  parser.on('error', (error: Error) => fail(parserError(label, error)));

  try {
    let first = true;
    for await (const raw of source as AsyncIterable<Buffer | string>) {
      if (failure !== null) break;
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
      if (chunk.length === 0) continue;
      options.onRawChunk?.(chunk);
      result.rawBytes += chunk.length;
      if (first) {
        first = false;
        result.gzip = chunk[0] === 0x1f && (chunk.length < 2 || chunk[1] === 0x8b);
        if (!result.gzip && options.requireGzip === true) {
          throw new TarError('not-gzip', `${label}: not a gzip file (no 1f 8b magic)`, { hint: 'expected a .tar.gz' });
        }
        if (result.gzip) {
          const started = startGunzip(label, feedTar, fail, () => wakeFeeder?.());
          parser.on('drain', started.unblock);
          gunzip = started.gunzip;
          feeder = started;
        }
      }
      if (gunzip !== null) {
        // zlib ends its output at the end of the last member and ignores what follows unless it
        // starts like another member: bytes still coming then are trailing data.
        if (gunzip.readableEnded) throw trailingData(label, result.rawBytes - gunzip.bytesWritten);
        if (!gunzip.write(chunk)) await waitFor(gunzip, ['drain', 'end'], setWake);
      } else if (!feedTar(chunk)) {
        await waitFor(parser, ['drain'], setWake);
      }
    }
    if (first && failure === null) throw new TarError('truncated', `${label}: empty file, not a tar archive`);
    if (gunzip !== null && failure === null) {
      const g = gunzip;
      if (g.readableEnded) g.end();
      else {
        const ended = waitFor(g, ['end'], setWake);
        g.end();
        await ended;
      }
      await feeder?.flushed(setWake);
      if (failure === null && g.bytesWritten < result.rawBytes) throw trailingData(label, result.rawBytes - g.bytesWritten);
    }
    if (failure === null) {
      walker.finish();
      const ended = waitFor(parser, ['end'], setWake);
      parser.end();
      await ended;
    }
    await chain;
  } catch (error) {
    fail(error);
  } finally {
    if ('destroy' in source && typeof source.destroy === 'function') source.destroy();
  }
  if (failure !== null) throw failure;
  result.eof = walker.eof;
  return result;
}

function trailingData(label: string, bytes: number): TarError {
  return new TarError('trailing-garbage', `${label}: ${bytes} bytes of trailing data after the gzip stream`, {
    hint: 'the file was appended to or padded; build it again',
  });
}

/** Inflated chunks waiting for the main thread; past this many, zlib is paused. */
const MAX_QUEUED = 16;

interface GunzipFeeder {
  gunzip: Gunzip;
  /** The parser drained: feed it again. */
  unblock(): void;
  /** Resolves once every inflated chunk was fed (or the read failed). */
  flushed(setWake: (wake: () => void) => void): Promise<void>;
}

/**
 * Inflated chunks are queued and fed to the parser from setImmediate: fed inside zlib's own
 * callback, the main-thread work (tar framing, hashing, the caller's handlers) would delay the
 * next inflate step, so decompression (in libuv's threadpool) and that work would take turns
 * instead of overlapping.
 */
function startGunzip(
  label: string,
  feed: (chunk: Buffer) => boolean,
  fail: (error: unknown) => void,
  wake: () => void,
): GunzipFeeder {
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  const queue: Buffer[] = [];
  let scheduled = false;
  let blocked = false;
  let failed = false;
  let onFlushed: (() => void) | null = null;
  const pump = (): void => {
    scheduled = false;
    while (queue.length > 0 && !blocked && !failed) {
      try {
        if (!feed(queue.shift() as Buffer)) blocked = true;
      } catch (error) {
        failed = true;
        fail(error);
      }
    }
    if (failed) queue.length = 0;
    if (!blocked && queue.length < MAX_QUEUED && gunzip.isPaused()) gunzip.resume();
    if (queue.length === 0 && onFlushed !== null) {
      const done = onFlushed;
      onFlushed = null;
      done();
    }
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(pump);
  };
  gunzip.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    if (queue.length >= MAX_QUEUED) gunzip.pause();
    schedule();
  });
  const unblock = (): void => {
    blocked = false;
    schedule();
  };
  const flushed = (setWake: (wake: () => void) => void): Promise<void> =>
    queue.length === 0 && !scheduled
      ? Promise.resolve()
      : new Promise((resolve) => {
          onFlushed = resolve;
          setWake(resolve);
        });
  gunzip.on('error', (error: NodeJS.ErrnoException) => {
    const truncated = error.code === 'Z_BUF_ERROR';
    fail(
      new TarError(
        truncated ? 'truncated' : 'gzip-corrupt',
        truncated
          ? `${label}: gzip stream is truncated (${error.message})`
          : `${label}: gzip stream is corrupt or has trailing garbage (${error.message})`,
        { hint: 'the file is damaged; download or build it again', cause: error },
      ),
    );
    wake();
  });
  return { gunzip, unblock, flushed };
}

function parserError(label: string, error: Error & { tarCode?: string }): TarError {
  if (error instanceof TarError) return error;
  const message = error.message.replace(/^TAR_[A-Z_]+: /, '');
  const kind = /truncated/i.test(message) ? 'truncated' : 'bad-header';
  return new TarError(kind, `${label}: ${message}`, { hint: 'the archive is damaged; build it again', cause: error });
}

async function openFile(path: string): Promise<NodeJS.ReadableStream> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new TarError('missing', `${path}: not a regular file`);
  } catch (error) {
    if (error instanceof TarError) throw error;
    throw new TarError('missing', `${path}: cannot read the archive (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      hint: 'check the path',
    });
  }
  return createReadStream(path, { highWaterMark: 1024 * 1024 });
}

/**
 * Resolves at the first of `events`, or when `fail` wakes the feeder; removes its listeners
 * either way, since backpressure waits happen once per chunk.
 */
function waitFor(emitter: NodeJS.EventEmitter, events: readonly string[], setWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const event of events) emitter.off(event, done);
      resolve();
    };
    for (const event of events) emitter.on(event, done);
    setWake(done);
  });
}
