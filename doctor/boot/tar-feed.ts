/**
 * The container's share of the host's one read of a tarball: the plain tar stream that the
 * host's pass (verify's checks, or the boot's scan) inflates, handed to the container's tar as
 * it comes. The gzip layer is decoded once, on the host, by the pass whose integrity rules judge
 * it (CRC, size, data after the end); the container's tar extracts exactly the bytes that pass
 * framed and checked. That also spares the container a second inflate: its gzip is several times
 * slower than the host's zlib, and on two cores the two would compete.
 *
 * The container is not there yet when the read starts (it starts beside it), so what the host
 * inflates meanwhile is held for it, up to `maxLag` bytes; past that the host waits for the
 * container. Once the container reads, the slower reader sets the pace. Whatever happens to the
 * container, `abandon()` lets the host finish on its own.
 */
import { Readable } from 'node:stream';
import createDebug from 'debug';
import type { TarballFacts } from '../verify-types.js';

const debug = createDebug('remote-ai:doctor:boot');

/** What a container start (about a third of a second) lets the host inflate ahead; bounded memory. */
const DEFAULT_MAX_LAG = 64 * 1024 * 1024;
/**
 * The tail of the stream held back until the host's pass is over: more than GNU tar's 10 KiB
 * record, so the end-of-archive blocks reach the container's tar only once the host found the
 * gzip whole (its CRC and size come last). A broken gzip makes `tar -xzf` fail on a user's host;
 * here the container's tar then sees its stream cut short, and fails too.
 */
const TAIL_HELD = 16 * 1024;

export class TarFeed {
  private readonly stream: Readable;
  /** Chunks the host read that the container's stream has not taken yet; never copied. */
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private wantsData = false;
  private taken = false;
  private ended = false;
  private endPushed = false;
  private settled = false;
  private waiters: (() => void)[] = [];

  constructor(private readonly maxLag = DEFAULT_MAX_LAG) {
    this.stream = new Readable({
      highWaterMark: 1024 * 1024,
      read: () => {
        this.wantsData = true;
        this.flush();
      },
    });
    // A stream nobody reads any more must not take the process down with an unhandled 'error';
    // its reader, when there is one, sees the error too.
    this.stream.on('error', (error) => debug('container tar stream: %s', error.message));
    this.stream.on('close', () => this.abandon());
  }

  /** The host's tap (readTar's `onTarChunk`): queues the chunk, and says when to go on. */
  readonly onTarChunk = (chunk: Buffer): Promise<void> | undefined => {
    if (this.settled) return undefined;
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.flush();
    return this.queued > this.limit() + TAIL_HELD ? new Promise((resolve) => this.waiters.push(resolve)) : undefined;
  };

  /** The container's tar stream. Called once, when the container's tar is about to read. */
  forContainer(): Readable {
    if (this.taken) throw new Error('TarFeed.forContainer called twice');
    this.taken = true;
    this.wakeIfBelow();
    return this.stream;
  }

  /**
   * The host's pass is over: a whole archive ends the container's stream; one the pass stopped
   * in (a limit crossed, a broken or truncated archive) or found broken (`integrity`, which
   * would make the user's `tar -xzf` fail) fails it there, before its end-of-archive blocks.
   */
  settle(facts: Pick<TarballFacts, 'complete' | 'stopped' | 'integrity'>): void {
    if (facts.stopped !== null) this.fail(`the host stopped reading this archive at its ${facts.stopped.kind} limit`);
    else if (!facts.integrity.ok) this.fail(`the host found this archive broken (${facts.integrity.reason})`);
    else if (!facts.complete) this.fail('the host could not read this archive to its end');
    else this.end();
  }

  /** The host's pass read the whole archive: the container's stream ends after what is queued. */
  end(): void {
    if (this.settled) return;
    this.settled = true;
    this.ended = true;
    this.flush();
  }

  /**
   * The host's pass stopped early: the container's tar sees its stream fail (as a truncated
   * archive) and says so itself. What was queued is not handed on.
   */
  fail(reason: string): void {
    if (this.settled) return;
    this.settled = true;
    this.drop();
    this.stream.destroy(new Error(reason));
  }

  /** Nobody will read the container's stream (the boot ended or failed): the host goes on alone. */
  abandon(): void {
    this.settled = true;
    this.drop();
    if (!this.stream.destroyed) this.stream.destroy();
  }

  /**
   * How far the host may run ahead: all of maxLag while the container is not there yet
   * (forContainer wakes it), a quarter once it reads, so that the two run side by side.
   */
  private limit(): number {
    return this.taken ? this.maxLag / 4 : this.maxLag;
  }

  private flush(): void {
    while (this.wantsData && this.queue.length > 0) {
      const held = this.ended ? 0 : TAIL_HELD;
      const chunk = this.queue[0] as Buffer;
      const give = Math.min(chunk.length, this.queued - held);
      if (give <= 0) break;
      // A slice, not a copy, when only part of the chunk may go.
      if (give === chunk.length) this.queue.shift();
      else this.queue[0] = chunk.subarray(give);
      this.queued -= give;
      this.wantsData = this.stream.push(give === chunk.length ? chunk : chunk.subarray(0, give));
    }
    if (this.ended && this.queue.length === 0 && !this.endPushed) {
      this.endPushed = true;
      this.stream.push(null);
    }
    this.wakeIfBelow();
  }

  private drop(): void {
    this.queue.length = 0;
    this.queued = 0;
    this.wakeIfBelow();
  }

  /** Wakes the host once the queue is down to half its limit (or anything goes: settled). */
  private wakeIfBelow(): void {
    if (this.waiters.length === 0 || (!this.settled && this.queued > this.limit() / 2 + TAIL_HELD)) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
