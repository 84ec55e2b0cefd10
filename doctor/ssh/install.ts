/**
 * install: the release lands in `~/.remote-ai-server/bin/<commit>/` as the IDE's resolver puts it
 * (`tar -xzf - --strip-components=1` with the host's tar), streamed over the connection with no
 * copy on either side. The bytes are hashed on the host while tar reads them, extracted into a
 * temporary folder beside the target and renamed into place with a marker holding the sha256:
 * a folder without the marker was never finished, and a killed run leaves only a `.tmp` folder
 * the next run removes. A lock on the host keeps two runs for one commit apart.
 */
import type { Readable } from 'node:stream';
import { ToolError } from '../../abi-gate/index.js';
import type { SshConnection } from './client.js';

/** The marker file in a finished install; holds the tarball's sha256. */
export const INSTALL_MARKER = '.remote-ai-doctor-install';

/**
 * $1 commit, $2 expected sha256, $3 run folder, $4 `reuse` (only reuse a finished install, never
 * read stdin) or `install`. flock when the host has it (util-linux); else a mkdir lock that a
 * later run breaks when its holder is gone.
 */
const INSTALL_SCRIPT = String.raw`
commit="$1"; want="$2"; run="$3"; mode="$4"
base="$HOME/.remote-ai-server/bin"; dir="$base/$commit"; marker="$dir/${INSTALL_MARKER}"
mkdir -p "$base" || { echo "@@fail mkdir"; exit 10; }
lock="$base/.$commit.lock"
if command -v flock >/dev/null 2>&1; then
  exec 9> "$lock" && flock 9 || { echo "@@fail lock"; exit 11; }
else
  until mkdir "$lock.d" 2>/dev/null; do
    holder="$(cat "$lock.d/pid" 2>/dev/null)"
    if [ -n "$holder" ] && ! kill -0 "$holder" 2>/dev/null; then rm -rf "$lock.d"; continue; fi
    sleep 1
  done
  echo $$ > "$lock.d/pid"
  trap 'rm -rf "$lock.d"' EXIT
fi
report() {
  echo "@@dir $dir"
  for f in "$dir"/bin/*; do
    if [ -f "$f" ] && [ -x "$f" ]; then echo "@@bin bin/$(basename "$f")"; fi
  done
  echo "@@node $("$dir/node" --version 2>&1 | head -n 1)"
}
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then echo "@@reused"; report; exit 0; fi
if [ "$mode" = reuse ]; then echo "@@absent"; exit 5; fi
rm -rf "$base/.$commit.tmp."* "$base/.$commit.old."*
tmp="$base/.$commit.tmp.$$"
mkdir "$tmp" || { echo "@@fail mkdir"; exit 10; }
mkfifo "$run/tgz" || { echo "@@fail mkfifo"; exit 10; }
sha256sum < "$run/tgz" > "$run/tgz.sha" &
hasher=$!
tee "$run/tgz" | tar -xzf - -C "$tmp" --strip-components=1 2> "$run/tar.err"
code=$?
wait "$hasher"
got="$(cut -c1-64 "$run/tgz.sha")"
while IFS= read -r line || [ -n "$line" ]; do printf '@@tar %s\n' "$line"; done < "$run/tar.err"
if [ "$code" -ne 0 ]; then rm -rf "$tmp"; echo "@@fail tar $code"; exit 3; fi
if [ "$got" != "$want" ]; then rm -rf "$tmp"; echo "@@sha $got"; exit 4; fi
printf '%s\n' "$want" > "$tmp/${INSTALL_MARKER}" || { rm -rf "$tmp"; echo "@@fail marker"; exit 10; }
if [ -e "$dir" ]; then mv "$dir" "$base/.$commit.old.$$"; fi
mv "$tmp" "$dir" || { echo "@@fail rename"; exit 10; }
rm -rf "$base/.$commit.old.$$"
echo "@@installed"
report
`.replaceAll('${INSTALL_MARKER}', INSTALL_MARKER);

export interface HostInstall {
  /** Absolute install folder on the host. */
  dir: string;
  reused: boolean;
  /** Executables in bin/, relative to dir. */
  bins: string[];
  /** `node --version` of the bundled node on the host, or what it said instead. */
  nodeVersion: string;
  /** GNU tar's warnings (unknown pax keywords from macOS, ...): extracted, but worth a look. */
  tarWarnings: string[];
}

export type InstallOutcome =
  | { ok: true; install: HostInstall }
  | { ok: false; reason: 'sha256'; got: string }
  | { ok: false; reason: 'tar'; messages: string[] };

function parse(stdout: string): { tags: Map<string, string[]> } {
  const tags = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('@@')) continue;
    const at = line.indexOf(' ');
    const tag = at === -1 ? line.slice(2) : line.slice(2, at);
    tags.set(tag, [...(tags.get(tag) ?? []), at === -1 ? '' : line.slice(at + 1)]);
  }
  return { tags };
}

function toInstall(tags: Map<string, string[]>, reused: boolean): HostInstall {
  return {
    dir: tags.get('dir')?.[0] ?? '',
    reused,
    bins: tags.get('bin') ?? [],
    nodeVersion: tags.get('node')?.[0] ?? '',
    tarWarnings: tags.get('tar') ?? [],
  };
}

export interface InstallRequest {
  commit: string;
  sha256: string;
  /** Opens the tarball's bytes; called only when they must be sent. */
  open: () => Readable;
  signal?: AbortSignal;
}

/**
 * A finished install of the same bytes, or null. Read-only (it takes the lock only to read the
 * marker), so it runs beside the requirements step.
 */
export async function findInstall(connection: SshConnection, request: Omit<InstallRequest, 'open'>): Promise<HostInstall | null> {
  const signal = request.signal === undefined ? {} : { signal: request.signal };
  const result = await connection.run(INSTALL_SCRIPT, [request.commit, request.sha256, connection.runDir, 'reuse'], signal);
  const seen = parse(result.stdout.toString('utf8')).tags;
  if (result.exitCode === 0 && seen.has('reused')) return toInstall(seen, true);
  if (result.exitCode !== 5) throw hostInstallFault(connection.target.destination, seen, result.stderr, result.exitCode);
  return null;
}

/** Streams the tarball and installs it (or finds that a run holding the lock just did). */
export async function installOnHost(connection: SshConnection, request: InstallRequest): Promise<InstallOutcome> {
  const where = connection.target.destination;
  const base = [request.commit, request.sha256, connection.runDir];
  const signal = request.signal === undefined ? {} : { signal: request.signal };
  const result = await connection.run(INSTALL_SCRIPT, [...base, 'install'], { stdin: request.open(), ...signal });
  const { tags } = parse(result.stdout.toString('utf8'));
  if (result.exitCode === 0 && tags.has('installed')) return { ok: true, install: toInstall(tags, false) };
  // Another run held the lock and finished the same install meanwhile: the stream was not read.
  if (result.exitCode === 0 && tags.has('reused')) return { ok: true, install: toInstall(tags, true) };
  const tarLines = tags.get('tar') ?? [];
  if (tarLines.some((l) => /No space left on device|Disk quota exceeded/.test(l))) {
    throw new ToolError('HOST_DISK_FULL', `${where}: the disk filled up while extracting: ${tarLines.find((l) => /No space|quota/.test(l)) ?? ''}`, {
      hint: 'free space in the home folder (old servers sit in ~/.remote-ai-server/bin)',
      exitCode: 2,
    });
  }
  if (result.exitCode === 4) return { ok: false, reason: 'sha256', got: tags.get('sha')?.[0] ?? '' };
  if (result.exitCode === 3) return { ok: false, reason: 'tar', messages: tarLines };
  throw hostInstallFault(where, tags, result.stderr, result.exitCode);
}

function hostInstallFault(where: string, tags: Map<string, string[]>, stderr: string, code: number | null): ToolError {
  const what = tags.get('fail')?.[0] ?? `exit ${code ?? 'by a signal'}`;
  const said = stderr.trim().split('\n').pop() ?? '';
  return new ToolError('HOST_INSTALL', `${where}: cannot install into ~/.remote-ai-server/bin (${what})${said === '' ? '' : `: ${said}`}`, {
    hint: 'the login user must be able to create, lock and rename folders in ~/.remote-ai-server/bin',
    exitCode: 2,
  });
}

/** `--remove`: deletes the install folder (under the same lock as installs). */
export async function removeInstall(connection: SshConnection, commit: string): Promise<void> {
  const script = String.raw`
base="$HOME/.remote-ai-server/bin"; lock="$base/.$1.lock"
if command -v flock >/dev/null 2>&1; then exec 9> "$lock" && flock 9; fi
rm -rf "$base/$1" "$base/.$1.tmp."* && rm -f "$lock"
`;
  const result = await connection.run(script, [commit]);
  if (result.exitCode !== 0) {
    throw new ToolError('HOST_REMOVE', `${connection.target.destination}: cannot remove ~/.remote-ai-server/bin/${commit}: ${result.stderr.trim()}`, { exitCode: 2 });
  }
}
