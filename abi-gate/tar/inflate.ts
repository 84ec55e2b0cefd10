/**
 * gunzip for readTar, in one of two places behind one small interface:
 *
 * - `ThreadpoolInflater`: a zlib stream on the calling thread (zlib itself runs in libuv's
 *   threadpool). Cheap to start; right for small archives.
 * - `WorkerInflater`: the same zlib stream on a worker thread. A zlib stream needs its own
 *   thread's event loop between output chunks (to start the next one) and between input chunks
 *   (to take the next one). On the main thread those turns wait behind whatever the main thread
 *   does with the previous output (framing, hashing, scanning), so the two add up instead of
 *   overlapping: measured on a 64 MB release, 0.03 ms of work per entry made the read 0.36 s
 *   slower, its whole cost. A worker's loop does nothing else, so zlib runs flat out on the other
 *   core while the main thread works, for ~20 ms to start the worker and one copy of the output.
 */
import { Worker } from 'node:worker_threads';
import { createGunzip, type Gunzip } from 'node:zlib';

export interface Inflater {
  readonly place: 'main-thread' | 'worker';
  /** Takes one compressed chunk; resolves when more may be written (backpressure). */
  write(chunk: Buffer): Promise<void>;
  /** No more input. */
  end(): void;
  /** The next inflated chunk, null at the end; throws zlib's error (with its `Z_*` code). */
  next(): Promise<Buffer | null>;
  /** Compressed bytes zlib took; after the end, fewer than were written means data after the gzip. */
  readonly bytesWritten: number;
  readonly destroyed: boolean;
  destroy(error?: Error): void;
}

/** Inflated chunks either inflater may run ahead by before it is paused (4 MiB at 256 KiB each). */
const MAX_QUEUED = 16;
/** Compressed bytes posted to the worker and not yet taken by zlib, before `write` waits. */
const MAX_RAW_IN_FLIGHT = 4 * 1024 * 1024;
/** The worker's reads of a file it reads itself. */
const READ_CHUNK = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/** A queue of chunks with one waiting reader. */
class ChunkQueue {
  private readonly chunks: Buffer[] = [];
  private head = 0;
  ended = false;
  error: unknown = null;
  private wake: (() => void) | null = null;

  get length(): number {
    return this.chunks.length - this.head;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.notify();
  }

  finish(error: unknown = null): void {
    if (error !== null && this.error === null) this.error = error;
    this.ended = true;
    this.notify();
  }

  /** The next chunk, or null at the end; `onTake` runs after a chunk leaves the queue. */
  async take(onTake: () => void): Promise<Buffer | null> {
    for (;;) {
      if (this.error !== null) throw this.error;
      if (this.head < this.chunks.length) {
        const chunk = this.chunks[this.head] as Buffer;
        this.chunks[this.head++] = EMPTY;
        if (this.head === this.chunks.length) {
          this.chunks.length = 0;
          this.head = 0;
        }
        onTake();
        return chunk;
      }
      if (this.ended) return null;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/**
 * zlib's output taken as it comes ('data' events) into a queue the caller drains afterwards:
 * zlib starts its next step as soon as a chunk is queued. (An async iterator over the stream
 * would let zlib run one chunk ahead at most, and concatenates what piled up beyond that.)
 */
export class ThreadpoolInflater implements Inflater {
  readonly place = 'main-thread';
  private readonly gunzip: Gunzip;
  private readonly queue = new ChunkQueue();

  constructor(chunkSize: number) {
    const gunzip = createGunzip({ chunkSize });
    this.gunzip = gunzip;
    gunzip.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      if (this.queue.length >= MAX_QUEUED) gunzip.pause();
    });
    gunzip.on('end', () => this.queue.finish());
    gunzip.on('error', (error: Error) => this.queue.finish(error));
  }

  get bytesWritten(): number {
    return this.gunzip.bytesWritten;
  }

  get destroyed(): boolean {
    return this.gunzip.destroyed;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.gunzip.write(chunk)) return;
    const gunzip = this.gunzip;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        gunzip.off('drain', done);
        gunzip.off('close', done);
        resolve();
      };
      gunzip.on('drain', done);
      gunzip.on('close', done);
    });
  }

  end(): void {
    if (!this.gunzip.destroyed) this.gunzip.end();
  }

  next(): Promise<Buffer | null> {
    return this.queue.take(() => {
      if (this.gunzip.isPaused() && this.queue.length < MAX_QUEUED / 2) this.gunzip.resume();
    });
  }

  destroy(error?: Error): void {
    this.gunzip.destroy(error);
  }
}

/** Messages to the worker. */
type ToWorker = { raw: Uint8Array } | { end: true };
/** What the worker learnt of the file it read itself: its size, last 8 bytes and sha256. */
export interface RawFileFacts {
  bytes: number;
  tail: Buffer;
  sha256: string | null;
}
/** Messages from the worker. */
type FromWorker =
  | { out: Uint8Array; took: number }
  | { took: number }
  | { end: number; file: { bytes: number; tail: Uint8Array; sha256: string | null } | null }
  | { error: { code: string | undefined; message: string; io: boolean } };

/**
 * The worker's code, as CommonJS source: a string, so that it runs the same from tsc's output and
 * from a bundle (a worker file would have to be found beside whichever file loaded this one).
 * Output chunks are copied into buffers of their own before they are transferred: zlib writes
 * several outputs into one buffer, which a transfer would take away from it. With a `file` the
 * worker reads it itself (and hashes it when asked), so the main thread never touches the
 * compressed bytes; it reads to the end even after zlib's end, so that bytes after the gzip are
 * counted and hashed.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createGunzip } = require('node:zlib');
const gunzip = createGunzip({ chunkSize: workerData.chunkSize });
// How many output chunks the main thread took, counted in shared memory: a message per chunk
// (or per few) costs the main thread more than the counter, and the worker waits on it.
const taken = workerData.taken;
let produced = 0;
let ended = false;
let fileFacts = null;
const fail = (error, io) => {
  parentPort.postMessage({ error: { code: typeof error.code === 'string' ? error.code : undefined, message: error.message, io } });
  parentPort.close();
};
const finish = () => {
  if (!ended || (workerData.file !== null && fileFacts === null)) return;
  parentPort.postMessage({ end: gunzip.bytesWritten, file: fileFacts });
  parentPort.close();
};
gunzip.on('data', (chunk) => {
  const own = new Uint8Array(chunk.length);
  own.set(chunk);
  parentPort.postMessage({ out: own, took: gunzip.bytesWritten }, [own.buffer]);
  if (++produced - Atomics.load(taken, 0) >= workerData.maxQueued && !gunzip.isPaused()) {
    gunzip.pause();
    waitForRoom();
  }
});
function waitForRoom() {
  const seen = Atomics.load(taken, 0);
  if (produced - seen <= workerData.maxQueued / 2) {
    gunzip.resume();
    return;
  }
  const wait = Atomics.waitAsync(taken, 0, seen);
  if (wait.async) wait.value.then(waitForRoom);
  else waitForRoom();
}
gunzip.on('end', () => {
  ended = true;
  finish();
});
gunzip.on('error', (error) => fail(error, false));
parentPort.on('message', (message) => {
  if (message.raw !== undefined) {
    const size = message.raw.length;
    gunzip.write(Buffer.from(message.raw.buffer, message.raw.byteOffset, size), () => parentPort.postMessage({ took: size }));
  } else if (message.end === true) {
    gunzip.end();
  }
});
if (workerData.file !== null) {
  const hash = workerData.file.sha256 ? require('node:crypto').createHash('sha256') : null;
  let bytes = 0;
  let tail = Buffer.alloc(0);
  const input = require('node:fs').createReadStream(workerData.file.path, { highWaterMark: workerData.readChunk });
  input.on('data', (chunk) => {
    hash?.update(chunk);
    bytes += chunk.length;
    tail = chunk.length >= 8 ? chunk.subarray(chunk.length - 8) : Buffer.concat([tail, chunk]).subarray(-8);
    if (ended || gunzip.destroyed) return;
    if (!gunzip.write(chunk)) {
      input.pause();
      const go = () => { gunzip.off('drain', go); gunzip.off('end', go); input.resume(); };
      gunzip.on('drain', go);
      gunzip.on('end', go);
    }
  });
  input.on('end', () => {
    fileFacts = { bytes, tail: new Uint8Array(tail), sha256: hash === null ? null : hash.digest('hex') };
    if (!ended && !gunzip.destroyed) gunzip.end();
    finish();
  });
  input.on('error', (error) => fail(error, true));
}
`;

export interface WorkerInflaterOptions {
  /** The worker reads this file itself instead of taking `write`s; `sha256` hashes it too. */
  file?: { path: string; sha256: boolean };
}

/** The same zlib stream on a worker thread; see the top of this file for why. */
export class WorkerInflater implements Inflater {
  readonly place = 'worker';
  private readonly worker: Worker;
  private readonly queue = new ChunkQueue();
  private written = 0;
  private rawInFlight = 0;
  private wakeWriter: (() => void) | null = null;
  /** Output chunks taken, shared with the worker (its backpressure). */
  private readonly taken = new Int32Array(new SharedArrayBuffer(4));
  private zlibTook = 0;
  private finished = false;
  private stopped = false;
  /** With a `file`: what the worker read, once it read all of it. */
  file: RawFileFacts | null = null;

  constructor(chunkSize: number, options: WorkerInflaterOptions = {}) {
    // Not unref'd: while the read waits for the worker, the worker is what keeps the process
    // alive. Every way out of readTar ends it: the stream's end (it closes itself), an error or
    // an abort (destroy terminates it).
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { chunkSize, maxQueued: MAX_QUEUED, readChunk: READ_CHUNK, file: options.file ?? null, taken: this.taken },
    });
    this.worker.on('message', (message: FromWorker) => this.onMessage(message));
    this.worker.on('error', (error) => this.stop(error));
    this.worker.on('exit', (code) => {
      if (!this.queue.ended) this.stop(new Error(`the gunzip worker exited (code ${code}) before the end of the stream`));
    });
  }

  get bytesWritten(): number {
    return this.finished ? this.zlibTook : Math.max(this.zlibTook, this.written - this.rawInFlight);
  }

  get destroyed(): boolean {
    return this.stopped;
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.stopped) return;
    // A copy the worker owns: the caller's buffer may still be in use (a tap writes it on).
    const own = new Uint8Array(chunk.length);
    own.set(chunk);
    this.post({ raw: own }, [own.buffer]);
    this.written += chunk.length;
    this.rawInFlight += chunk.length;
    while (this.rawInFlight > MAX_RAW_IN_FLIGHT && !this.stopped) {
      await new Promise<void>((resolve) => {
        this.wakeWriter = resolve;
      });
    }
  }

  end(): void {
    if (!this.stopped) this.post({ end: true });
  }

  next(): Promise<Buffer | null> {
    return this.queue.take(() => {
      Atomics.add(this.taken, 0, 1);
      Atomics.notify(this.taken, 0);
    });
  }

  destroy(error?: Error): void {
    this.stop(error ?? null);
  }

  private onMessage(message: FromWorker): void {
    if ('out' in message) {
      this.zlibTook = message.took;
      this.queue.push(Buffer.from(message.out.buffer, message.out.byteOffset, message.out.length));
    } else if ('end' in message) {
      this.zlibTook = message.end;
      this.finished = true;
      if (message.file !== null) this.file = { ...message.file, tail: Buffer.from(message.file.tail) };
      this.queue.finish();
      this.stopped = true;
      this.wakeUpWriter();
    } else if ('took' in message) {
      this.rawInFlight -= message.took;
      this.wakeUpWriter();
    } else {
      const { code, message: text, io } = message.error;
      // A read error is the file's (ENOENT, EIO), not zlib's: it keeps its errno code.
      this.stop(Object.assign(new Error(io ? `cannot read the archive: ${text}` : text), { code }));
    }
  }

  private post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (!this.stopped) this.worker.postMessage(message, transfer);
  }

  private stop(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queue.finish(error);
    this.wakeUpWriter();
    void this.worker.terminate();
  }

  private wakeUpWriter(): void {
    const wake = this.wakeWriter;
    this.wakeWriter = null;
    wake?.();
  }
}

/** Compressed inputs from this size on are inflated on a worker: below it the worker's start costs more than it saves. */
export const WORKER_MIN_BYTES = 8 * 1024 * 1024;

export type InflatePlace = 'auto' | 'main-thread' | 'worker';

/** Where 'auto' inflates an input of `rawSize` bytes (null: unknown, a stream). */
export function inflatePlace(place: InflatePlace, rawSize: number | null): 'main-thread' | 'worker' {
  if (place !== 'auto') return place;
  return rawSize !== null && rawSize >= WORKER_MIN_BYTES ? 'worker' : 'main-thread';
}
