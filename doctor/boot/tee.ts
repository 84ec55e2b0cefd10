/**
 * One read of a tarball for its two readers: the host's pass (verify's checks, or the boot's own
 * scan) and the container's tar. The container is not there yet when the read starts (it starts
 * beside it), so what the host reads meanwhile is held for it, up to `maxLag` bytes; past that
 * the container's branch is dropped rather than holding up the host, and the container reads the
 * file again when it is ready (the bytes are in the page cache by then). Once the container
 * reads, the slower reader sets the pace: the file is read no faster than both take it.
 */
import { createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import createDebug from 'debug';

const debug = createDebug('remote-ai:doctor:boot');

/** What a container start (about half a second) lets the host read ahead; bounded memory. */
const DEFAULT_MAX_LAG = 32 * 1024 * 1024;
const READ_CHUNK = 1024 * 1024;

export class TarballTee {
  /** The host's branch: every byte of the file, in order. */
  readonly host: PassThrough;
  private readonly branch: PassThrough;
  private readonly source: Readable;
  private readonly waiting = new Set<PassThrough>();
  private held = 0;
  private taken = false;
  private dropped = false;
  private cut = false;

  constructor(
    readonly path: string,
    private readonly maxLag = DEFAULT_MAX_LAG,
  ) {
    this.host = new PassThrough({ highWaterMark: READ_CHUNK });
    this.branch = new PassThrough({ highWaterMark: READ_CHUNK });
    // A branch nobody reads any more (dropped, cut, or its reader stopped) must not take the
    // process down with an unhandled 'error'; its reader, when there is one, sees the error too.
    this.branch.on('error', (error) => debug('container branch: %s', error.message));
    this.source = createReadStream(path, { highWaterMark: READ_CHUNK });
    this.source.on('data', (chunk: Buffer) => this.onChunk(chunk));
    this.source.on('end', () => {
      this.host.end();
      if (this.live(this.branch)) this.branch.end();
    });
    this.source.on('error', (error) => {
      this.host.destroy(error);
      this.branch.destroy(error);
    });
    for (const stream of [this.host, this.branch]) {
      stream.on('drain', () => this.release(stream));
      stream.on('close', () => this.release(stream));
    }
  }

  /**
   * The container's bytes: the branch with what it holds, or the file afresh when the branch was
   * dropped. Called once, when the container's tar is about to read.
   */
  forContainer(): NodeJS.ReadableStream {
    if (this.taken) throw new Error('TarballTee.forContainer called twice');
    this.taken = true;
    if (!this.dropped) return this.branch;
    debug('%s: the container reads the file itself (it started after %d bytes were read)', this.path, this.maxLag);
    return this.cut ? this.branch : createReadStream(this.path, { highWaterMark: READ_CHUNK });
  }

  /**
   * Ends the container's stream short: the host's pass found an archive that must not be
   * extracted (a limit was crossed), and the container's tar then fails on a truncated stream.
   */
  cutContainer(): void {
    this.cut = true;
    this.dropped = true;
    if (!this.branch.destroyed) this.branch.destroy(new Error('the host stopped reading this archive'));
  }

  private live(stream: PassThrough): boolean {
    return !stream.destroyed && !stream.writableEnded;
  }

  private onChunk(chunk: Buffer): void {
    if (this.live(this.host) && !this.host.write(chunk)) this.hold(this.host);
    if (this.dropped || !this.live(this.branch)) return;
    const fits = this.branch.write(chunk);
    if (this.taken) {
      if (!fits) this.hold(this.branch);
      return;
    }
    this.held += chunk.length;
    if (this.held > this.maxLag) {
      // Nobody reads the branch yet and it holds all it may: let it go, the container will read
      // the file itself. The host is never held up by a container that is still starting.
      this.dropped = true;
      this.branch.destroy();
    }
  }

  private hold(stream: PassThrough): void {
    this.waiting.add(stream);
    this.source.pause();
  }

  private release(stream: PassThrough): void {
    if (!this.waiting.delete(stream)) return;
    if (this.waiting.size === 0) this.source.resume();
  }
}
