import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import createDebug from 'debug';
import { currentOwner, DEFAULT_LEASE_MS, ownerLabels, type Owner } from './owner.js';

const debug = createDebug('remote-ai:doctor:docker');

/** Every container doctor creates carries these, so `doctor gc` can sweep what a crash left. */
export const LABEL_TOOL = 'remote-ai.tool';
export const LABEL_RUN = 'remote-ai.run';
export const TOOL_NAME = 'doctor';

export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/**
 * Containers alive right now in this process. SIGINT and SIGTERM remove them before the process
 * goes: a user's Ctrl-C must not leave a server running in the background.
 */
const live = new Set<BootContainer>();
let handlersInstalled = false;
let interrupting: NodeJS.Signals | null = null;

/**
 * While a signal's cleanup runs, the work it interrupts fails (its container is gone). Those
 * failures must not end the process first with their own exit code: callers park on this
 * promise instead, and the re-raised signal ends the process.
 */
export async function parkIfInterrupted(): Promise<void> {
  if (interrupting !== null) await new Promise<never>(() => undefined);
}

function onSignal(signal: NodeJS.Signals): void {
  interrupting = signal;
  const pending = [...live].map((c) => c[Symbol.asyncDispose]());
  void Promise.allSettled(pending).then(() => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    handlersInstalled = false;
    interrupting = null;
    // Re-raise so the process ends the way the signal asked (exit status 128 + n), as it would
    // have without us; the CLI keeps its own meaning of exit codes for everything else.
    process.kill(process.pid, signal);
  });
}

function track(container: BootContainer): void {
  live.add(container);
  if (!handlersInstalled) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    handlersInstalled = true;
  }
}

function untrack(container: BootContainer): void {
  live.delete(container);
  if (live.size === 0 && handlersInstalled) {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    handlersInstalled = false;
  }
}

export interface CreateOptions {
  image: string;
  runId: string;
  /** Extra labels (tests mark their containers too). */
  labels?: Record<string, string>;
  /** Recorded so `doctor gc` leaves the container alone while its owner lives; default: this process. */
  owner?: Owner;
  /** How long an owner that gc cannot ask (another host) keeps the container. */
  leaseMs?: number;
}

/** $HOME in every boot container: the install lands in `$HOME/.remote-ai-server/bin/<commit>`. */
export const CONTAINER_HOME = '/root';
export const INSTALL_ROOT = `${CONTAINER_HOME}/.remote-ai-server`;

/** A started, network-less container that is removed (forcibly) when disposed. */
export class BootContainer implements AsyncDisposable {
  private removal: Promise<void> | null = null;

  private constructor(
    readonly container: Docker.Container,
    readonly runId: string,
  ) {}

  static async create(docker: Docker, options: CreateOptions): Promise<BootContainer> {
    const container = await docker.createContainer({
      Image: options.image,
      // PID 1 only keeps the container alive; everything else runs through exec.
      Cmd: ['sleep', 'infinity'],
      Labels: {
        ...options.labels,
        ...ownerLabels(options.owner ?? currentOwner(), new Date(Date.now() + (options.leaseMs ?? DEFAULT_LEASE_MS))),
        [LABEL_TOOL]: TOOL_NAME,
        [LABEL_RUN]: options.runId,
      },
      WorkingDir: CONTAINER_HOME,
      Env: [`HOME=${CONTAINER_HOME}`],
      HostConfig: {
        NetworkMode: 'none',
        AutoRemove: false,
        // The install (about 200 MB in some 10,000 files) lives in memory: written to the
        // container's overlay layer it costs seconds to extract and seconds again to delete when
        // the container goes, on a slow CI disk far more than the server's own start-up. Same path,
        // same tar, same loader: nothing a boot judges depends on the file system under it.
        // `exec`: Docker mounts a tmpfs noexec unless told otherwise.
        Tmpfs: { [INSTALL_ROOT]: 'rw,exec,mode=0755' },
      },
    });
    const handle = new BootContainer(container, options.runId);
    track(handle);
    try {
      await container.start();
    } catch (error) {
      await handle[Symbol.asyncDispose]();
      throw error;
    }
    debug('started %s (run %s) from %s', container.id.slice(0, 12), options.runId, options.image);
    return handle;
  }

  get id(): string {
    return this.container.id;
  }

  /**
   * Removes the container. A second call waits for the first removal instead of returning while
   * it runs; its failure was the first caller's to report.
   */
  [Symbol.asyncDispose](): Promise<void> {
    if (this.removal !== null) return this.removal.catch(() => undefined);
    this.removal = this.remove();
    return this.removal;
  }

  private async remove(): Promise<void> {
    debug('removing %s', this.container.id.slice(0, 12));
    try {
      // force: SIGKILL then remove; `sleep` as PID 1 ignores SIGTERM, a stop would wait 10 s.
      await this.container.remove({ force: true, v: true });
      debug('removed %s', this.container.id.slice(0, 12));
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== 404 && status !== 409) throw error;
    } finally {
      untrack(this);
    }
  }
}
