import { ToolError } from '../../abi-gate/index.js';
import type { Readable } from 'node:stream';
import type { BootContainer } from './container.js';
import { channelSwitch, FEED_PIPE, type FeedChannel, type PipeFeed } from './pipe-feed.js';

export interface Installed {
  /** Absolute install folder in the container: `$HOME/.remote-ai-server/bin/<commit>`. */
  dir: string;
  commit: string | null;
  /** Executables found in `bin/`, relative to `dir`. */
  bins: string[];
  serverApplicationName: string | null;
  /** How the tar stream reached the container's tar (pipe-feed.ts). */
  via: FeedChannel;
}

/**
 * Runs in the container with the tarball's plain tar stream on stdin, as the host's pass inflates
 * it (tar-feed.ts: the gzip layer is judged on the host). It extracts with the container's own
 * tar, as the IDE's resolver does on a user's host, so a tarball that only Linux's GNU tar chokes
 * on (pax keywords from macOS, ...) fails here too.
 * Without a known commit it extracts to a staging folder first and moves it to `bin/<commit>`
 * once product.json is readable (a rename inside one tmpfs).
 */
const INSTALL_SCRIPT = String.raw`
set -e
commit="$1"
pipe="$2"
# The host's named pipe when it is mounted and this user may open it (pipe-feed.ts), else stdin.
# The subshell tries the open (a failed redirection on exec would end the script); the pipe is
# open here before the host hears of it, since the host may close its end at once (an archive it
# stopped reading), and an open after that would wait for a writer forever.
if [ -n "$pipe" ] && [ -p "$pipe" ] && ( exec 3<"$pipe" ) 2>/dev/null; then
  exec 0<"$pipe"
  echo "@@feed pipe"
else
  echo "@@feed stdin"
fi
base="$HOME/.remote-ai-server/bin"
mkdir -p "$base"
if [ -n "$commit" ]; then
  dir="$base/$commit"
  mkdir -p "$dir"
  tar -xf - -C "$dir" --strip-components=1
else
  dir="$base/.staging-$$"
  mkdir -p "$dir"
  tar -xf - -C "$dir" --strip-components=1
  commit="$(sed -n 's/.*"commit"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$dir/product.json" 2>/dev/null | head -n 1)"
  if [ -n "$commit" ]; then mv "$dir" "$base/$commit"; dir="$base/$commit"; fi
fi
echo "@@dir $dir"
echo "@@commit $(sed -n 's/.*"commit"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$dir/product.json" 2>/dev/null | head -n 1)"
echo "@@app $(sed -n 's/.*"serverApplicationName"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$dir/product.json" 2>/dev/null | head -n 1)"
for f in "$dir"/bin/*; do
  if [ -f "$f" ] && [ -x "$f" ]; then echo "@@bin bin/$(basename "$f")"; fi
done
`;

/**
 * Installs the tarball whose plain tar stream `source` carries (the host's read inflates it) as
 * the resolver would: straight into the container's tar, through the named pipe when the
 * container has it (pipe-feed.ts) or the exec's stdin, with backpressure, never copied into the
 * container whole.
 */
export async function installTarball(box: BootContainer, tarball: string, source: Readable, commit?: string, pipe: PipeFeed | null = null): Promise<Installed> {
  const feed = channelSwitch(source, pipe);
  const result = await box.exec(['sh', '-c', INSTALL_SCRIPT, 'sh', commit ?? '', pipe === null ? '' : FEED_PIPE], { stdin: feed.stdin, onLine: feed.onLine });
  if (result.exitCode !== 0) {
    const why = (result.stderr.trim().split('\n').pop() ?? '') || `exit ${result.exitCode}`;
    throw new ToolError('BOOT_INSTALL', `${tarball}: the container's tar could not install it: ${why}`, {
      hint: 'run doctor verify on it; a Linux GNU tar must extract it',
      exitCode: 1,
    });
  }
  const installed: Installed = { dir: '', commit: null, bins: [], serverApplicationName: null, via: 'stdin' };
  for (const line of result.stdout.split('\n')) {
    const [tag, ...rest] = line.split(' ');
    const value = rest.join(' ');
    if (tag === '@@dir') installed.dir = value;
    else if (tag === '@@commit') installed.commit = value === '' ? null : value;
    else if (tag === '@@app') installed.serverApplicationName = value === '' ? null : value;
    else if (tag === '@@bin') installed.bins.push(value);
    else if (tag === '@@feed') installed.via = value === 'pipe' ? 'pipe' : 'stdin';
  }
  return installed;
}

/** `bin/<serverApplicationName>` when product.json names it, else the one executable in bin/. */
export function pickServerBin(installed: Pick<Installed, 'bins' | 'serverApplicationName'>, tarball: string): string {
  const named = installed.serverApplicationName === null ? undefined : `bin/${installed.serverApplicationName}`;
  if (named !== undefined && installed.bins.includes(named)) return named;
  if (installed.bins.length === 1 && installed.bins[0] !== undefined) return installed.bins[0];
  throw new ToolError('BOOT_NO_LAUNCHER', `${tarball}: no server launcher in bin/ (found ${installed.bins.join(', ') || 'nothing'})`, {
    hint: 'set serverApplicationName in product.json to the launcher name, or pass --server-bin',
    exitCode: 1,
  });
}
