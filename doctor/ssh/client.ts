/**
 * The system OpenSSH client behind a small interface. Everything a run does on the host goes
 * through one master connection (ControlMaster with a control socket in a private folder), so the
 * login, host key check and ProxyJump happen once; each step is a multiplexed session of it.
 *
 * The master's own session is the guard: it makes the run's private folder on the host, then waits
 * for its stdin to end. Its stdin is a pipe from this process, so it ends when doctor closes the
 * connection and also when doctor dies of SIGKILL: either way the guard then stops a server this run
 * left behind (its process group, recorded in the run folder) and removes the folder.
 */
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import createDebug from 'debug';
import { ToolError } from '../../abi-gate/index.js';
import { makeOwnedDir, removeDeadOwned } from '../../release/index.js';
import { lastLine, sshFault } from './faults.js';
import { shCommand } from './quote.js';

const debug = createDebug('remote-ai:doctor:ssh');

/** The control socket's folder in the temp dir: `rai-ssh-<owner>-XXXXXX` (release/process-owner.ts). */
export const CONTROL_DIR_PREFIX = 'rai-ssh-';

/** What `ssh -G` resolved the destination to: the record shows it, never the config's secrets. */
export interface SshTarget {
  destination: string;
  user: string;
  hostname: string;
  port: number;
}

export interface SshSettings {
  /** `-F`: an ssh config file instead of ~/.ssh/config. */
  configFile?: string;
  /** `-o K=V`, in order. */
  options: string[];
  /** ConnectTimeout, seconds. */
  connectTimeoutS: number;
  /** The ssh binary (default: `ssh` on PATH). */
  ssh?: string;
}

export interface RemoteResult {
  exitCode: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface RunOptions {
  /** Bytes for the remote command's stdin; none: stdin is closed (`-n`). */
  stdin?: Readable;
  /** Called with each stdout line as it arrives (launch watches the server's log this way). */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

export interface Forward {
  localPort: number;
  close(): Promise<void>;
}

/** One live master connection. */
export interface SshConnection {
  readonly target: SshTarget;
  /** The run's private folder on the host, removed by the guard when the connection ends. */
  readonly runDir: string;
  /** What the `hello` script given to connect printed (its stdout), from the guard's session. */
  readonly hello: string;
  /** Runs `script` under /bin/sh on the host as `script name args...`. */
  run(script: string, args?: readonly string[], options?: RunOptions): Promise<RemoteResult>;
  /** A local port forwarded over the connection to 127.0.0.1:remotePort on the host. */
  forward(remotePort: number): Promise<Forward>;
  /** Ends the guard (it cleans up on the host) and the master; safe to call twice. */
  close(): Promise<void>;
}

export interface SshClient {
  resolve(destination: string): Promise<SshTarget>;
  /**
   * Opens the master. `hello` runs under sh in the guard's session right after the run folder is
   * made: the first facts about the host arrive with the connection, without a round trip.
   */
  connect(target: SshTarget, options?: { signal?: AbortSignal; hello?: string }): Promise<SshConnection>;
}

/**
 * The master's session: see the file comment. Prints `@@run <dir>`, then runs $1 (the hello
 * script) under sh and prints `@@ready`.
 */
const GUARD_SCRIPT = String.raw`
tmp="$TMPDIR"; [ -n "$tmp" ] || tmp=/tmp
run="$(mktemp -d "$tmp/remote-ai-doctor.XXXXXXXX")" || { echo "@@fatal cannot make a folder in $tmp"; exit 97; }
echo "@@run $run"
/bin/sh -c "$1" remote-ai-hello
echo "@@ready"
cat > /dev/null
if [ -s "$run/server.pgid" ]; then
  pg="$(cat "$run/server.pgid")"
  kill -s TERM -- "-$pg" 2>/dev/null
  i=0
  while kill -s 0 -- "-$pg" 2>/dev/null && [ "$i" -lt 5 ]; do sleep 1; i=$((i + 1)); done
  kill -s KILL -- "-$pg" 2>/dev/null
fi
rm -rf "$run"
`;

interface Spawned {
  exitCode: number | null;
  stdout: Buffer;
  stderr: string;
}

function runSsh(bin: string, args: string[], options: RunOptions = {}): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    let pending = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out.push(chunk);
      if (options.onLine === undefined) return;
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      if (err.length > 64 * 1024) err = err.slice(-32 * 1024);
    });
    if (options.stdin !== undefined && child.stdin !== null) {
      // The host may end the command before reading all of it (a refused install): not our error.
      child.stdin.on('error', () => undefined);
      options.stdin.on('error', (error) => child.kill('SIGTERM') && reject(error));
      options.stdin.pipe(child.stdin);
    }
    const abort = (): void => {
      child.kill('SIGTERM');
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (error) => {
      options.signal?.removeEventListener('abort', abort);
      reject(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? new ToolError('SSH_MISSING', `${bin}: the OpenSSH client is not installed`, { hint: 'install it (apt-get install openssh-client)', exitCode: 2 })
          : error,
      );
    });
    child.on('close', (code) => {
      options.signal?.removeEventListener('abort', abort);
      if (pending !== '' && options.onLine !== undefined) options.onLine(pending);
      resolve({ exitCode: code, stdout: Buffer.concat(out), stderr: err });
    });
  });
}

async function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class OpenSshClient implements SshClient {
  private readonly bin: string;

  constructor(private readonly settings: SshSettings) {
    this.bin = settings.ssh ?? 'ssh';
  }

  /** Options every invocation carries: ours first, since ssh keeps the first value it is given. */
  private common(controlPath?: string): string[] {
    const args: string[] = [];
    if (this.settings.configFile !== undefined) args.push('-F', this.settings.configFile);
    args.push('-o', 'BatchMode=yes', '-o', `ConnectTimeout=${Math.max(1, Math.round(this.settings.connectTimeoutS))}`);
    if (controlPath !== undefined) args.push('-o', `ControlPath=${controlPath}`);
    for (const option of this.settings.options) args.push('-o', option);
    return args;
  }

  async resolve(destination: string): Promise<SshTarget> {
    const result = await runSsh(this.bin, ['-G', ...this.common(), '--', destination]);
    if (result.exitCode !== 0) throw sshFault(destination, result.stderr, result.exitCode);
    const config = new Map<string, string>();
    for (const line of result.stdout.toString('utf8').split('\n')) {
      const at = line.indexOf(' ');
      if (at > 0 && !config.has(line.slice(0, at))) config.set(line.slice(0, at), line.slice(at + 1).trim());
    }
    const port = Number(config.get('port') ?? '22');
    return { destination, user: config.get('user') ?? '', hostname: config.get('hostname') ?? destination, port };
  }

  async connect(target: SshTarget, options: { signal?: AbortSignal; hello?: string } = {}): Promise<SshConnection> {
    const signal = options.signal;
    // A socket path must fit sun_path (108 bytes): a short private folder, not the user's ~/.ssh.
    // Its name carries this process as owner, so a run that was SIGKILLed (no `finally`) has its
    // empty folder swept by the next run instead of left in the temp dir for good.
    await removeDeadOwned(tmpdir(), CONTROL_DIR_PREFIX);
    const controlDir = await makeOwnedDir(tmpdir(), CONTROL_DIR_PREFIX);
    const socket = join(controlDir, 'm');
    const bin = this.bin;
    const master = spawn(
      bin,
      [...this.common(socket), '-o', 'ControlMaster=yes', '-o', 'ControlPersist=no', '-T', '--', target.destination, shCommand(GUARD_SCRIPT, 'remote-ai-guard', [options.hello ?? ':'])],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    master.stdin.on('error', () => undefined);
    let stderr = '';
    master.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => master.on('close', (code) => resolve(code)));
    const started = await new Promise<{ runDir: string; hello: string } | { exit: number | null } | { error: Error }>((resolve) => {
      let out = '';
      const onData = (d: Buffer): void => {
        out += d.toString('utf8');
        const match = /^@@run (.+)$/m.exec(out);
        const ready = out.indexOf('\n@@ready\n');
        if (match?.[1] !== undefined && ready !== -1) {
          resolve({ runDir: match[1].trim(), hello: out.slice(out.indexOf('\n', match.index) + 1, ready + 1) });
        }
        else if (/^@@fatal /m.test(out)) resolve({ error: new ToolError('HOST_TMP', `${target.destination}: ${/^@@fatal (.*)$/m.exec(out)?.[1] ?? 'no temporary folder'}`, { hint: 'set TMPDIR for the login or free /tmp on the host', exitCode: 2 }) });
      };
      master.stdout.on('data', onData);
      master.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code === 'ENOENT' ? new ToolError('SSH_MISSING', `${bin}: the OpenSSH client is not installed`, { hint: 'install it (apt-get install openssh-client)', exitCode: 2 }) : error }));
      void exited.then((code) => resolve({ exit: code }));
      signal?.addEventListener('abort', () => resolve({ error: new ToolError('INTERRUPTED', 'interrupted while connecting', { exitCode: 2 }) }), { once: true });
    });
    if (!('runDir' in started)) {
      master.kill('SIGTERM');
      await rm(controlDir, { recursive: true, force: true });
      if ('error' in started) throw started.error;
      throw sshFault(target.destination, stderr, started.exit);
    }
    master.stdout.resume();
    debug('master up for %s, run folder %s', target.destination, started.runDir);

    let closing: Promise<void> | null = null;
    const client = this;
    const connection: SshConnection = {
      target,
      runDir: started.runDir,
      hello: started.hello,
      async run(script, args = [], options = {}) {
        const flags = options.stdin === undefined ? ['-n'] : [];
        const result = await runSsh(
          bin,
          [...client.common(socket), '-o', 'ControlMaster=no', '-T', ...flags, '--', target.destination, shCommand(script, 'remote-ai-doctor', args)],
          options,
        );
        // 255 is ssh's own failure (the master went away); anything else is the script's.
        if (result.exitCode === 255 && /^(mux_client|Control socket|ssh: |kex_|Connection)/m.test(result.stderr)) {
          throw sshFault(target.destination, result.stderr, 255);
        }
        return result;
      },
      async forward(remotePort) {
        const localPort = await freeLocalPort();
        const spec = `127.0.0.1:${localPort}:127.0.0.1:${remotePort}`;
        const opened = await runSsh(bin, [...client.common(socket), '-O', 'forward', '-L', spec, '--', target.destination]);
        if (opened.exitCode !== 0) {
          throw new ToolError('SSH_FORWARD', `ssh ${target.destination}: cannot forward 127.0.0.1:${localPort} to the host's port ${remotePort}: ${lastLine(opened.stderr)}`, {
            hint: 'the host sshd must allow TCP forwarding (AllowTcpForwarding yes)',
            exitCode: 2,
          });
        }
        return {
          localPort,
          async close() {
            await runSsh(bin, [...client.common(socket), '-O', 'cancel', '-L', spec, '--', target.destination]).catch(() => undefined);
          },
        };
      },
      close() {
        closing ??= (async () => {
          master.stdin.end();
          const ended = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000).unref())]);
          if (!ended) {
            debug('master still running 15 s after its stdin closed: ending it');
            master.kill('SIGTERM');
            await exited;
          }
          await rm(controlDir, { recursive: true, force: true });
        })();
        return closing;
      },
    };
    return connection;
  }
}
