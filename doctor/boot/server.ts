import createDebug from 'debug';
import type { BootContainer } from './container.js';
import { execIn, type ExecResult } from './exec.js';

const debug = createDebug('remote-ai:doctor:server');

/** VS Code's resolver waits for this line ("Do not change this line", src/server-main.ts). */
const LISTENING = /Extension host agent listening on (\d+)/;
const LOG_TAIL = 30;

export const DEFAULT_SERVER_ARGS = [
  '--host',
  '127.0.0.1',
  '--port',
  '0',
  '--without-connection-token',
  '--accept-server-license-terms',
];

export type ServerStart =
  | { ok: true; port: number; startMs: number; log: string[] }
  | { ok: false; reason: 'exited' | 'timeout'; exitCode: number | null; startMs: number; log: string[] };

export interface RunningServer {
  start: ServerStart;
  /** Sends SIGTERM and waits (bounded) for the server's exec to end. */
  stop(): Promise<void>;
}

export interface StartOptions {
  dir: string;
  bin: string;
  args: string[];
  env?: string[];
  timeoutMs: number;
}

/**
 * Starts the launcher through exec and watches its output for the listening line. The wrapper
 * prints its own pid first (`exec` keeps it), so the server can be signalled through another exec.
 */
export async function startServer(box: BootContainer, options: StartOptions): Promise<RunningServer> {
  const log: string[] = [];
  let pid: string | null = null;
  const began = performance.now();
  let onListening: (port: number) => void = () => undefined;
  const listening = new Promise<number>((resolve) => {
    onListening = resolve;
  });
  const run: Promise<ExecResult> = execIn(
    box.container,
    ['sh', '-c', 'echo "@@pid $$"; cd "$1" && shift && exec "$@"', 'sh', options.dir, `./${options.bin}`, ...options.args],
    {
      env: options.env ?? [],
      onLine: (line) => {
        if (pid === null && line.startsWith('@@pid ')) {
          pid = line.slice(6).trim();
          return;
        }
        log.push(line);
        if (log.length > LOG_TAIL) log.shift();
        debug('server: %s', line);
        const match = LISTENING.exec(line);
        if (match !== null) onListening(Number(match[1]));
      },
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    listening.then((port) => ({ kind: 'listening' as const, port })),
    run.then((result) => ({ kind: 'exited' as const, result })),
    new Promise<{ kind: 'timeout' }>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout' }), options.timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  const startMs = performance.now() - began;
  const stop = async (): Promise<void> => {
    // `kill` is a shell builtin: minimal images (Debian minbase) have no /bin/kill.
    if (pid !== null) await execIn(box.container, ['sh', '-c', 'kill -TERM "$1"', 'sh', pid]).catch(() => undefined);
    const ended = await Promise.race([
      run.then(() => true, () => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000).unref()),
    ]);
    debug(ended ? 'server stopped' : 'server still running 2 s after SIGTERM: removing the container ends it');
  };
  if (outcome.kind === 'listening') return { start: { ok: true, port: outcome.port, startMs, log }, stop };
  if (outcome.kind === 'exited') {
    return { start: { ok: false, reason: 'exited', exitCode: outcome.result.exitCode, startMs, log }, stop };
  }
  return { start: { ok: false, reason: 'timeout', exitCode: null, startMs, log }, stop };
}

const PROBE_JS =
  "require('http').get('http://127.0.0.1:'+process.argv[1]+'/version',(r)=>{let b='';r.setEncoding('utf8');" +
  "r.on('data',(d)=>{b+=d});r.on('end',()=>{process.stdout.write(r.statusCode+' '+b)})})" +
  ".on('error',(e)=>{process.stderr.write(e.message);process.exit(3)})";

export type Probe = { ok: true; status: number; body: string } | { ok: false; error: string };

/**
 * GET /version from inside the container with the server's own node: the container has no network
 * (NetworkMode none), and 127.0.0.1 because `localhost` may resolve to ::1 only.
 */
export async function probeVersion(box: BootContainer, dir: string, port: number): Promise<Probe> {
  const result = await execIn(box.container, [`${dir}/node`, '-e', PROBE_JS, String(port)]);
  const match = /^(\d{3}) ([\s\S]*)$/.exec(result.stdout);
  if (result.exitCode !== 0 || match === null) {
    return { ok: false, error: result.stderr.trim() || result.stdout.trim() || `exit ${result.exitCode}` };
  }
  return { ok: true, status: Number(match[1]), body: (match[2] ?? '').trim() };
}
