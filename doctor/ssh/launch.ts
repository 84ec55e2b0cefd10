/**
 * launch: the server's launcher started on the host in a process group of its own (setsid), with
 * a server data folder inside the run folder, watched for the line VS Code's resolver waits for.
 * The group id goes into the run folder, where `stop` and the connection's guard find it: the
 * whole group is stopped at teardown, and by the guard when doctor itself is killed.
 */
import createDebug from 'debug';
import { DEFAULT_SERVER_ARGS, type ServerStart } from '../boot/index.js';
import type { RemoteResult, SshConnection } from './client.js';

const debug = createDebug('remote-ai:doctor:ssh:server');

/** "Do not change this line. VS Code looks for this in the output." (src/server-main.ts) */
const LISTENING = /Extension host agent listening on (\d+)/;
const LOG_TAIL = 30;

/**
 * $1 install folder, $2 run folder, $3 launcher (relative), then the server's arguments. A
 * background child of a non-interactive sh is no group leader, so setsid makes its session
 * without forking (util-linux setsid.c) and `$$` in it is the new group's id. Without setsid,
 * `set -m` gives the job a group of its own.
 */
const LAUNCH_SCRIPT = String.raw`
dir="$1"; run="$2"; bin="$3"; shift 3
mkdir -p "$run/data" && cd "$dir" || { echo "@@fatal cannot enter $dir"; exit 90; }
# The host check already ran (requirements); a launcher that runs it again must not refuse the host
# before the boot and the loader can be judged.
VSCODE_SERVER_SKIP_REQUIREMENTS_CHECK=1; export VSCODE_SERVER_SKIP_REQUIREMENTS_CHECK
start='echo "$$" > "$1/server.pgid"; echo "@@pgid $$"; shift; exec "$@"'
if command -v setsid >/dev/null 2>&1; then
  setsid sh -c "$start" sh "$run" "./$bin" "$@" < /dev/null 2>&1 &
else
  set -m
  sh -c "$start" sh "$run" "./$bin" "$@" < /dev/null 2>&1 &
fi
wait $!
`;

/** Stops the server's group: TERM, then KILL after 5 s; waits until no process of it is left. */
const STOP_SCRIPT = String.raw`
run="$1"
[ -s "$run/server.pgid" ] || exit 0
pg="$(cat "$run/server.pgid")"
kill -s TERM -- "-$pg" 2>/dev/null || exit 0
i=0
while kill -s 0 -- "-$pg" 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -eq 50 ]; then kill -s KILL -- "-$pg" 2>/dev/null; fi
  if [ "$i" -gt 70 ]; then echo "@@alive"; exit 1; fi
  sleep 0.1 2>/dev/null || sleep 1
done
rm -f "$run/server.pgid"
`;

export interface LaunchOptions {
  dir: string;
  bin: string;
  /** Server arguments; `--server-data-dir <run>/data` is added unless they name one. */
  args?: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface LaunchedServer {
  start: ServerStart;
  /** Stops the server's process group (safe to call twice, and when it never started). */
  stop(): Promise<void>;
}

export async function launchServer(connection: SshConnection, options: LaunchOptions): Promise<LaunchedServer> {
  const log: string[] = [];
  const began = performance.now();
  const args = [...(options.args ?? DEFAULT_SERVER_ARGS)];
  if (!args.some((a) => a === '--server-data-dir' || a.startsWith('--server-data-dir='))) args.push('--server-data-dir', `${connection.runDir}/data`);
  let onListening: (port: number) => void = () => undefined;
  const listening = new Promise<number>((resolve) => {
    onListening = resolve;
  });
  const running: Promise<RemoteResult> = connection.run(LAUNCH_SCRIPT, [options.dir, connection.runDir, options.bin, ...args], {
    onLine: (line) => {
      if (line.startsWith('@@pgid ')) return;
      log.push(line);
      if (log.length > LOG_TAIL) log.shift();
      debug('server: %s', line);
      const match = LISTENING.exec(line);
      if (match !== null) onListening(Number(match[1]));
    },
  });
  running.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: () => void = () => undefined;
  const outcome = await Promise.race([
    listening.then((port) => ({ kind: 'listening' as const, port })),
    running.then(
      (result) => ({ kind: 'exited' as const, exitCode: result.exitCode }),
      () => ({ kind: 'exited' as const, exitCode: null }),
    ),
    new Promise<{ kind: 'timeout' }>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout' }), options.timeoutMs);
    }),
    new Promise<{ kind: 'aborted' }>((resolve) => {
      onAbort = () => resolve({ kind: 'aborted' });
      if (options.signal?.aborted === true) onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    }),
  ]);
  clearTimeout(timer);
  options.signal?.removeEventListener('abort', onAbort);
  const startMs = performance.now() - began;
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const result = await connection.run(STOP_SCRIPT, [connection.runDir]);
      if (result.exitCode !== 0) debug('server group still alive after KILL: %s', result.stdout.toString());
      await Promise.race([running.catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())]);
    })();
    return stopping;
  };
  if (outcome.kind === 'listening') return { start: { ok: true, port: outcome.port, startMs, log }, stop };
  if (outcome.kind === 'exited') return { start: { ok: false, reason: 'exited', exitCode: outcome.exitCode, startMs, log }, stop };
  return { start: { ok: false, reason: 'timeout', exitCode: null, startMs, log }, stop };
}
