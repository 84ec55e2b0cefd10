/**
 * DockerClient over dockerode: the one file that knows dockerode's objects and quirks.
 */
import { hostname, release } from 'node:os';
import { PassThrough, Readable } from 'node:stream';
import type Docker from 'dockerode';
import createDebug from 'debug';
import type { ContainerClient, ContainerSpec, ContainerSummary, DockerClient, ExecOptions, ExecResult } from './docker-client.js';

const debug = createDebug('remote-ai:doctor:docker');
const debugExec = createDebug('remote-ai:doctor:exec');

const statusOf = (error: unknown): number | undefined => (error as { statusCode?: number }).statusCode;

/** Wraps a connected dockerode client; `address` is where it was reached, for messages. */
export function dockerClient(docker: Docker, address = process.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock'): DockerClient {
  return new DockerodeClient(docker, address);
}

interface BuildEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

class DockerodeClient implements DockerClient {
  constructor(
    private readonly docker: Docker,
    readonly address: string,
  ) {}

  async imageExists(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  /**
   * The engine reports a failed RUN step inside a 200 response, and dockerode's followProgress
   * calls its callback without an error: only an `error` or `errorDetail` event says the build
   * failed, so every event is read here.
   */
  async buildImage(dir: string, files: string[], tag: string, options: { signal?: AbortSignal; onOutput?: (line: string) => void } = {}): Promise<void> {
    const stream = await this.docker.buildImage({ context: dir, src: files }, { t: tag, rm: true, forcerm: true, abortSignal: options.signal });
    let failure: string | undefined;
    await this.follow(stream, options.signal, (event: BuildEvent) => {
      if (event.stream !== undefined) for (const line of event.stream.split('\n')) if (line.trim() !== '') options.onOutput?.(line.trimEnd());
      const message = event.errorDetail?.message ?? event.error;
      if (message !== undefined) failure ??= message;
    });
    if (failure !== undefined) throw new Error(failure.trim());
  }

  async pullImage(ref: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const stream = (await this.docker.pull(ref, { abortSignal: options.signal })) as NodeJS.ReadableStream;
    let failure: string | undefined;
    await this.follow(stream, options.signal, (event: BuildEvent) => {
      const message = event.errorDetail?.message ?? event.error;
      if (message !== undefined) failure ??= message;
    });
    if (failure !== undefined) throw new Error(failure.trim());
  }

  private follow(stream: NodeJS.ReadableStream, signal: AbortSignal | undefined, onEvent: (event: BuildEvent) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        (stream as Partial<Readable>).destroy?.();
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal?.aborted === true) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.docker.modem.followProgress(
        stream,
        (error: Error | null) => {
          signal?.removeEventListener('abort', onAbort);
          if (error === null) resolve();
          else reject(error);
        },
        onEvent,
      );
    });
  }

  private shared: Promise<boolean> | null = null;

  sharesFiles(): Promise<boolean> {
    this.shared ??= this.askSharesFiles();
    return this.shared;
  }

  /**
   * A Linux engine reached through a unix socket whose host name and kernel are this machine's.
   * A VM's engine (Docker Desktop, colima, a podman machine) answers on a local socket too, but
   * with its own kernel and name, and a pipe made here would never reach it.
   */
  private async askSharesFiles(): Promise<boolean> {
    if (process.platform !== 'linux' || !this.address.startsWith('unix://')) return false;
    try {
      const info = (await this.docker.info()) as { Name?: string; KernelVersion?: string; OperatingSystem?: string };
      return info.Name === hostname() && info.KernelVersion === release() && !/Docker Desktop/i.test(info.OperatingSystem ?? '');
    } catch {
      return false;
    }
  }

  async createContainer(spec: ContainerSpec): Promise<ContainerClient> {
    const container = await this.docker.createContainer({
      Image: spec.image,
      Cmd: spec.cmd,
      Labels: spec.labels,
      ...(spec.workingDir === undefined ? {} : { WorkingDir: spec.workingDir }),
      ...(spec.env === undefined ? {} : { Env: spec.env }),
      HostConfig: {
        AutoRemove: false,
        ...(spec.networkNone === true ? { NetworkMode: 'none' } : {}),
        ...(spec.tmpfs === undefined ? {} : { Tmpfs: spec.tmpfs }),
        ...(spec.binds === undefined ? {} : { Binds: spec.binds }),
      },
    });
    return new DockerodeContainer(container);
  }

  async listContainers(labels: string[]): Promise<ContainerSummary[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: labels } });
    return list.map((c) => ({ id: c.Id, labels: c.Labels, state: c.State, created: c.Created }));
  }

  async removeContainer(id: string): Promise<'removed' | 'gone'> {
    try {
      // force: SIGKILL then remove; a PID 1 that ignores SIGTERM would make a stop wait 10 s.
      await this.docker.getContainer(id).remove({ force: true, v: true });
      return 'removed';
    } catch (error) {
      // 409: a removal of it is already in progress.
      const status = statusOf(error);
      if (status === 404 || status === 409) return 'gone';
      throw error;
    }
  }
}

class DockerodeContainer implements ContainerClient {
  constructor(private readonly container: Docker.Container) {}

  get id(): string {
    return this.container.id;
  }

  async start(): Promise<void> {
    await this.container.start();
  }

  exec(cmd: string[], options?: ExecOptions): Promise<ExecResult> {
    return execIn(this.container, cmd, options);
  }

  async remove(): Promise<void> {
    debug('removing %s', this.id.slice(0, 12));
    try {
      await this.container.remove({ force: true, v: true });
      debug('removed %s', this.id.slice(0, 12));
    } catch (error) {
      const status = statusOf(error);
      if (status !== 404 && status !== 409) throw error;
    }
  }
}

/**
 * Runs a command in a running container and waits for it. With `Tty: false` the attach stream
 * is multiplexed (8-byte frame headers): it is demultiplexed here, the outputs are ended by us
 * (docker-modem never ends them), and the exit code is read from `exec.inspect()` only after the
 * stream has ended, because before that it is still null.
 */
export async function execIn(container: Docker.Container, cmd: string[], options: ExecOptions = {}): Promise<ExecResult> {
  debugExec('exec %o', cmd);
  const withStdin = options.stdin !== undefined;
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    AttachStdin: withStdin,
    ...(options.env === undefined ? {} : { Env: options.env }),
    ...(options.workingDir === undefined ? {} : { WorkingDir: options.workingDir }),
  });
  const stream = await exec.start({ hijack: true, stdin: withStdin });
  // end() closes only our side of the hijacked socket: the engine passes that on as EOF on the
  // command's stdin and keeps sending its output.
  const close = (text?: string): void => {
    if (!stream.destroyed && stream.writable) stream.end(text);
  };
  const stdin = options.stdin;
  if (stdin instanceof Promise) {
    stdin.then(close, () => close());
  } else if (stdin !== undefined) {
    feed(stdin, stream, close);
  }
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const onStdout = options.onStdout;
  const out = onStdout === undefined ? collect(stdout, 'stdout', options.onLine) : tap(stdout, onStdout);
  const err = collect(stderr, 'stderr', options.onLine);
  container.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      stream.destroy();
      resolve();
    };
    if (options.signal?.aborted === true) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  stdout.end();
  stderr.end();
  const [stdoutText, stderrText] = await Promise.all([out, err]);
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? null, stdout: stdoutText, stderr: stderrText };
}

/**
 * Pipes a byte stream into the command's stdin with backpressure. A command that exits before
 * reading everything (tar failing half-way) closes the socket: the rest is dropped, not an error
 * here; its exit status says what went wrong. A source that fails (or was cut short) ends stdin
 * where it stopped: the command sees a truncated stream and says so itself.
 */
function feed(input: NodeJS.ReadableStream, socket: NodeJS.ReadWriteStream & { destroyed: boolean; writable: boolean }, close: () => void): void {
  const source = input as Readable;
  if (source.destroyed || source.readableEnded) {
    close();
    return;
  }
  const onData = (chunk: Buffer): void => {
    if (socket.destroyed || !socket.writable) return;
    if (!socket.write(chunk)) {
      source.pause();
      socket.once('drain', () => source.resume());
    }
  };
  source.on('data', onData);
  source.once('end', () => close());
  source.once('error', (error) => {
    debugExec('stdin source failed: %s', error.message);
    close();
  });
  source.once('close', () => close());
  socket.once('close', () => {
    source.off('data', onData);
    // Keep draining what is left, so the feed upstream is never held by a reader that is gone.
    source.resume();
  });
}

function tap(stream: PassThrough, onChunk: (chunk: Buffer) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    stream.on('data', onChunk);
    stream.on('end', () => resolve(''));
    stream.on('error', reject);
  });
}

function collect(stream: PassThrough, name: 'stdout' | 'stderr', onLine: ExecOptions['onLine']): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (onLine === undefined) return;
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line, name);
    });
    stream.on('end', () => {
      if (onLine !== undefined && pending !== '') onLine(pending, name);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    stream.on('error', reject);
  });
}
