import { randomBytes } from 'node:crypto';
import createDebug from 'debug';
import type { ContainerClient, DockerClient, ExecOptions, ExecResult } from './docker-client.js';
import { fetchFiles } from './fetch-files.js';
import { currentOwner, DEFAULT_LEASE_MS, ownerLabels, type Owner } from './owner.js';

const debug = createDebug('remote-ai:doctor:docker');

/** Every container doctor creates carries these, so `doctor gc` can sweep what a crash left. */
export const LABEL_TOOL = 'remote-ai.tool';
export const LABEL_RUN = 'remote-ai.run';
export const TOOL_NAME = 'doctor';

export function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
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
  /** Aborting removes the container (at once, or as soon as it exists). */
  signal?: AbortSignal;
  /** Bind mounts (the install's named pipe). */
  binds?: string[];
}

/** $HOME in every boot container: the install lands in `$HOME/.remote-ai-server/bin/<commit>`. */
export const CONTAINER_HOME = '/root';
export const INSTALL_ROOT = `${CONTAINER_HOME}/.remote-ai-server`;

/** A started, network-less container that is removed (forcibly) when disposed or aborted. */
export class BootContainer implements AsyncDisposable {
  private removal: Promise<void> | null = null;

  private constructor(
    private readonly client: ContainerClient,
    readonly runId: string,
  ) {}

  static async create(docker: DockerClient, options: CreateOptions): Promise<BootContainer> {
    options.signal?.throwIfAborted();
    const client = await docker.createContainer({
      image: options.image,
      // PID 1 only keeps the container alive; everything else runs through exec.
      cmd: ['sleep', 'infinity'],
      labels: {
        ...options.labels,
        ...ownerLabels(options.owner ?? currentOwner(), new Date(Date.now() + (options.leaseMs ?? DEFAULT_LEASE_MS))),
        [LABEL_TOOL]: TOOL_NAME,
        [LABEL_RUN]: options.runId,
      },
      workingDir: CONTAINER_HOME,
      env: [`HOME=${CONTAINER_HOME}`],
      networkNone: true,
      // The install (about 200 MB in some 10,000 files) lives in memory: written to the
      // container's overlay layer it costs seconds to extract and seconds again to delete when
      // the container goes, on a slow CI disk far more than the server's own start-up. Same path,
      // same tar, same loader: nothing a boot judges depends on the file system under it.
      // `exec`: Docker mounts a tmpfs noexec unless told otherwise.
      tmpfs: { [INSTALL_ROOT]: 'rw,exec,mode=0755' },
      ...(options.binds === undefined ? {} : { binds: options.binds }),
    });
    const handle = new BootContainer(client, options.runId);
    const onAbort = (): void => void handle[Symbol.asyncDispose]().catch(() => undefined);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      options.signal?.throwIfAborted();
      await client.start();
      options.signal?.throwIfAborted();
    } catch (error) {
      await handle[Symbol.asyncDispose]();
      throw error;
    }
    debug('started %s (run %s) from %s', client.id.slice(0, 12), options.runId, options.image);
    return handle;
  }

  get id(): string {
    return this.client.id;
  }

  exec(cmd: string[], options?: ExecOptions): Promise<ExecResult> {
    return this.client.exec(cmd, options);
  }

  /** The regular files among `paths` (absolute), read in one exec of the container's tar. */
  async readFiles(paths: string[]): Promise<Map<string, Buffer>> {
    const run = async (script: string, args: string[]): Promise<Buffer> => {
      const chunks: Buffer[] = [];
      await this.exec(['sh', '-c', script, 'sh', ...args], { onStdout: (chunk) => chunks.push(chunk) });
      return Buffer.concat(chunks);
    };
    return fetchFiles(run, paths, `container ${this.id.slice(0, 12)}`);
  }

  /**
   * Removes the container. A second call waits for the first removal instead of returning while
   * it runs; its failure was the first caller's to report.
   */
  [Symbol.asyncDispose](): Promise<void> {
    if (this.removal !== null) return this.removal.catch(() => undefined);
    this.removal = this.client.remove();
    return this.removal;
  }
}
