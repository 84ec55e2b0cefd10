import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import createDebug from 'debug';

const debug = createDebug('remote-ai:doctor:exec');

export interface ExecResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  env?: string[];
  workingDir?: string;
  /** Called with each complete output line (stdout and stderr merged), as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
  /** Written to the command's stdin once it resolves, then stdin is closed. */
  stdin?: Promise<string>;
}

/**
 * Runs a command in a running container and waits for it. With `Tty: false` the attach stream
 * is multiplexed (8-byte frame headers): it is demultiplexed here, the outputs are ended by us
 * (docker-modem never ends them), and the exit code is read from `exec.inspect()` only after the
 * stream has ended, because before that it is still null.
 */
export async function execIn(container: Docker.Container, cmd: string[], options: ExecOptions = {}): Promise<ExecResult> {
  debug('exec %o', cmd);
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    AttachStdin: options.stdin !== undefined,
    ...(options.env === undefined ? {} : { Env: options.env }),
    ...(options.workingDir === undefined ? {} : { WorkingDir: options.workingDir }),
  });
  const stream = await exec.start({ hijack: true, stdin: options.stdin !== undefined });
  // end() closes only our side of the hijacked socket: the engine passes that on as EOF on the
  // command's stdin and keeps sending its output.
  const close = (text?: string): void => {
    if (!stream.destroyed && stream.writable) stream.end(text);
  };
  options.stdin?.then(close, () => close());
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout, 'stdout', options.onLine);
  const err = collect(stderr, 'stderr', options.onLine);
  container.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      stream.destroy();
      resolve();
    };
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

function collect(
  stream: PassThrough,
  name: 'stdout' | 'stderr',
  onLine: ExecOptions['onLine'],
): Promise<string> {
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
