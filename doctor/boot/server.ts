import createDebug from 'debug';
import type { BootContainer } from './container.js';
import type { ExecResult } from './docker-client.js';

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
  /** The server's pid in the container, once the wrapper printed it. */
  pid: string | null;
  /**
   * Sends SIGTERM (unless `signalled`: the probe sent it already) and waits (bounded) for the
   * server's exec to end.
   */
  stop(options?: { signalled?: boolean }): Promise<void>;
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
  const run: Promise<ExecResult> = box.exec(
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
  const stop = async ({ signalled = false } = {}): Promise<void> => {
    // `kill` is a shell builtin: minimal images (Debian minbase) have no /bin/kill.
    if (pid !== null && !signalled) await box.exec(['sh', '-c', 'kill -TERM "$1"', 'sh', pid]).catch(() => undefined);
    const ended = await Promise.race([
      run.then(() => true, () => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000).unref()),
    ]);
    debug(ended ? 'server stopped' : 'server still running 2 s after SIGTERM: removing the container ends it');
  };
  if (outcome.kind === 'listening') return { start: { ok: true, port: outcome.port, startMs, log }, pid, stop };
  if (outcome.kind === 'exited') {
    return { start: { ok: false, reason: 'exited', exitCode: outcome.result.exitCode, startMs, log }, pid, stop };
  }
  return { start: { ok: false, reason: 'timeout', exitCode: null, startMs, log }, pid, stop };
}

/**
 * Reads "<port> <pid>" from stdin, GETs /version, then sends the server SIGTERM: the probe's node
 * starts while the server does, and the stop needs no exec of its own.
 */
const PROBE_JS =
  "let a='';process.stdin.setEncoding('utf8');process.stdin.on('data',(d)=>{a+=d});process.stdin.on('end',()=>{" +
  "const [port,pid]=a.trim().split(' ');if(!port)process.exit(4);" +
  "const stop=()=>{if(pid)try{process.kill(Number(pid),'SIGTERM')}catch(e){}};" +
  "require('http').get('http://127.0.0.1:'+port+'/version',(r)=>{let b='';r.setEncoding('utf8');" +
  "r.on('data',(d)=>{b+=d});r.on('end',()=>{stop();process.stdout.write(r.statusCode+' '+b)})})" +
  ".on('error',(e)=>{stop();process.stderr.write(e.message);process.exit(3)})})";

export type Probe = { ok: true; status: number; body: string } | { ok: false; error: string };

export interface PendingProbe {
  /** GET /version on `port`, then SIGTERM to `pid` (when known). */
  ask(port: number, pid: string | null): Promise<Probe>;
  /** The server never listened: the probe ends without a request. */
  cancel(): void;
}

/**
 * GET /version from inside the container with the server's own node: the container has no network
 * (NetworkMode none), and 127.0.0.1 because `localhost` may resolve to ::1 only. The node starts
 * now and waits on stdin for the port.
 */
export function prepareProbe(box: BootContainer, dir: string): PendingProbe {
  let send: (text: string) => void = () => undefined;
  const stdin = new Promise<string>((resolve) => {
    send = resolve;
  });
  const run = box.exec([`${dir}/node`, '-e', PROBE_JS], { stdin });
  run.catch(() => undefined);
  return {
    async ask(port, pid) {
      send(`${port} ${pid ?? ''}\n`);
      const result = await run;
      const match = /^(\d{3}) ([\s\S]*)$/.exec(result.stdout);
      if (result.exitCode !== 0 || match === null) {
        return { ok: false, error: result.stderr.trim() || result.stdout.trim() || `exit ${result.exitCode}` };
      }
      return { ok: true, status: Number(match[1]), body: (match[2] ?? '').trim() };
    },
    cancel() {
      send('');
    },
  };
}
