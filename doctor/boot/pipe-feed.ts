/**
 * The way the host's tar stream reaches the container's tar. Through the exec's stdin the engine
 * relays every byte (dockerd, then the runtime's shim: ~0.4 s of CPU for a 200 MB install, on
 * the two cores the host's checks and the container's tar share). Where the engine runs on this
 * machine's kernel, a named pipe made here and bind-mounted into the container joins the two
 * directly: the container's tar reads what the host writes, through the kernel alone.
 *
 * The container says which one it reads (`@@feed pipe` or `@@feed stdin`, install.ts): it opens
 * the pipe first, and takes stdin when it cannot (no pipe mounted, a user namespace or a security
 * label in the way). Until it says, nothing flows.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished, PassThrough, type Readable } from 'node:stream';
import { promisify } from 'node:util';
import createDebug from 'debug';
import { makeOwnedDir, removeDeadOwned } from '../../release/index.js';

const debug = createDebug('remote-ai:doctor:boot');

/** The pipe's folder in the temp dir: `remote-ai-feed-<owner>-XXXXXX` (release/process-owner.ts). */
export const FEED_DIR_PREFIX = 'remote-ai-feed-';

/** Where the pipe's folder is mounted in the container. */
export const FEED_MOUNT = '/run/remote-ai-feed';
export const FEED_PIPE = `${FEED_MOUNT}/tar`;

export type FeedChannel = 'pipe' | 'stdin';

export class PipeFeed {
  private socket: Socket | null = null;
  /** A plain descriptor, not a FileHandle: the socket takes it over, and a FileHandle would close it again when collected. */
  private fd: number | null = null;

  private constructor(private readonly dir: string) {}

  /**
   * A named pipe in a private temporary folder, held open for reading and writing: the host
   * never blocks on a container that does not open it, and never gets EPIPE before it does.
   * Null when no pipe can be made here (the exec's stdin serves then).
   */
  static async make(): Promise<PipeFeed | null> {
    let dir: string | null = null;
    try {
      // The folder's name carries this process as owner: what a SIGKILLed boot (no `finally`)
      // left is swept here by the next one instead of staying in the temp dir for good.
      await removeDeadOwned(tmpdir(), FEED_DIR_PREFIX);
      dir = await makeOwnedDir(tmpdir(), FEED_DIR_PREFIX);
      const feed = new PipeFeed(dir);
      // The container's root may be another user (a remapped namespace): it may read the pipe;
      // the folder, mode 0700, keeps everyone else on this machine out.
      await promisify(execFile)('mkfifo', ['-m', '0644', join(dir, 'tar')]);
      feed.fd = openSync(join(dir, 'tar'), constants.O_RDWR | constants.O_NONBLOCK);
      return feed;
    } catch (error) {
      debug('no named pipe for the install (%s): the exec stdin carries it', (error as Error).message);
      if (dir !== null) await rm(dir, { recursive: true, force: true });
      return null;
    }
  }

  /** The container's bind mount of the pipe's folder. */
  get bind(): string {
    return `${this.dir}:${FEED_MOUNT}:ro`;
  }

  /** Sends `stream` through the pipe, with backpressure; the pipe's end ends the container's read. */
  pipeFrom(stream: Readable): void {
    const fd = this.fd;
    if (fd === null) throw new Error('PipeFeed.pipeFrom after close');
    // A socket over the pipe's descriptor: libuv's non-blocking writes, 'drain' and all.
    const socket = new Socket({ fd, readable: false, writable: true });
    this.fd = null;
    this.socket = socket;
    socket.on('error', (error) => debug('install pipe: %s', error.message));
    stream.pipe(socket);
    // A stream that failed, or was destroyed, before or while it is piped never ends the socket:
    // close the pipe, and the container's tar sees a truncated archive.
    cutShortInto(stream, socket);
  }

  /** Closes the pipe (a container still reading sees its end) and removes its folder. */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) {
      // The socket owns the descriptor: destroying it closes the pipe.
      await new Promise<void>((resolve) => {
        if (socket.destroyed) resolve();
        else socket.once('close', () => resolve()).destroy();
      });
    }
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * The install exec's stdin and its line handler: when the container says it reads the pipe, the
 * stream goes there and stdin ends; when it says stdin, the stream goes through stdin.
 */
export function channelSwitch(stream: Readable, pipe: PipeFeed | null): { stdin: PassThrough; onLine: (line: string) => void } {
  const stdin = new PassThrough();
  let chosen: FeedChannel | null = null;
  const onLine = (line: string): void => {
    if (chosen !== null || !line.startsWith('@@feed ')) return;
    chosen = line === '@@feed pipe' && pipe !== null ? 'pipe' : 'stdin';
    debug('the container reads the install from its %s', chosen);
    if (chosen === 'pipe') {
      pipe?.pipeFrom(stream);
      stdin.end();
    } else {
      stream.pipe(stdin);
      cutShortInto(stream, stdin);
    }
  };
  return { stdin, onLine };
}

/** When `stream` stops without its end (an error, a destroy, even before this call), so does `into`. */
function cutShortInto(stream: Readable, into: { destroy(): unknown }): void {
  finished(stream, { writable: false }, (error) => {
    if (error !== undefined || !stream.readableEnded) into.destroy();
  });
}
