/**
 * The two execs that gather what a boot learns from the container besides the server itself,
 * one per question instead of one per file: each exec is a round trip to the engine.
 * RUNTIME_SCRIPT asks for the runtime (glibc, the ldconfig cache and the real paths of cached
 * libraries); it needs nothing installed, so it runs while the tarball is still being copied in and
 * extracted. INSPECT_SCRIPT gets the loader's verdict on every ELF file of the install, while the
 * server starts.
 *
 * Output protocol: lines starting with `@@`; everything else belongs to the record above it.
 */

/** Runs the bundled node over addon paths; prints a line before and after each dlopen so a crash
 * in an addon's initialiser is attributed to that addon. */
export const ADDON_LOADER_JS = [
  "const fs=require('fs');const w=(s)=>fs.writeSync(1,s+'\\n');",
  'for(const p of process.argv.slice(1)){',
  "w('@@try '+p);",
  "try{process.dlopen({exports:{}},require('path').resolve(p));w('@@dlopen ok '+p)}",
  "catch(e){w('@@dlopen err '+p);w('@@msg '+String(e&&e.message).replace(/\\n/g,' '))}",
  '}',
].join('');

export const RUNTIME_SCRIPT = String.raw`
echo "@@glibc $(getconf GNU_LIBC_VERSION 2>&1)"
ldconfig -p > /tmp/.rai-ldconfig 2>&1
sed 's/^/@@cache /' /tmp/.rai-ldconfig
sed -n 's/^.* => //p' /tmp/.rai-ldconfig | xargs -r readlink -m | sed 's/^/@@real /'
`;

/**
 * The bundled node loads the addons in the background while the loader lists every ELF file,
 * eight at a time: the listings are independent of each other and of node. Each listing's
 * output goes to its own files, printed in argument order once all are done, so the records read
 * as if they ran one by one. The printing uses shell builtins only: a grep and a sed per file
 * were most of the script's time. (`read` without `IFS=` drops a line's leading blanks, as the
 * sed that printed the loader's "not found" lines did.)
 */
export const INSPECT_SCRIPT = String.raw`
dir="$1"; ldso="$2"; shift 2
cd "$dir" || { echo "@@fatal cannot enter $dir"; exit 90; }
if [ ! -x "$ldso" ]; then
  for c in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1 /lib/ld-linux-armhf.so.3 /lib/ld-linux.so.2; do
    if [ -x "$c" ]; then ldso="$c"; break; fi
  done
fi
echo "@@ldso $ldso"
prefix() {
  while IFS= read -r line || [ -n "$line" ]; do printf '%s %s\n' "$1" "$line"; done < "$2"
}
missing() {
  while read -r line || [ -n "$line" ]; do
    case "$line" in *"not found"*) printf '@@msg %s\n' "$line" ;; esac
  done < "$1"
}
out="$RAI_INSPECT_DIR"; [ -n "$out" ] || out=/tmp/.rai-inspect; mkdir -p "$out"
n=0
for a in "$@"; do
  n=$((n + 1))
  if [ "$a" = "--addons" ]; then break; fi
done
node_pid=
if [ "$n" -lt $# ]; then
  (shift "$n"; exec ./node -e "$RAI_ADDON_LOADER" "$@" > "$out/node.out" 2> "$out/node.err") &
  node_pid=$!
fi
i=0; oldest=1
for f in "$@"; do
  if [ "$f" = "--addons" ]; then break; fi
  i=$((i + 1))
  "$ldso" --list "./$f" > "$out/$i.out" 2> "$out/$i.err" &
  eval "pid_$i=\$!"
  if [ $((i - oldest)) -ge 7 ]; then
    eval "wait \$pid_$oldest; code_$oldest=\$?"
    oldest=$((oldest + 1))
  fi
done
while [ "$oldest" -le "$i" ]; do
  eval "wait \$pid_$oldest; code_$oldest=\$?"
  oldest=$((oldest + 1))
done
i=0
for f in "$@"; do
  if [ "$f" = "--addons" ]; then break; fi
  i=$((i + 1))
  eval "code=\$code_$i"
  echo "@@elf $code $f"
  missing "$out/$i.out"
  prefix @@msg "$out/$i.err"
done
if [ -n "$node_pid" ]; then
  wait "$node_pid"
  code=$?
  cat "$out/node.out"
  echo "@@node-exit $code"
  prefix @@node-err "$out/node.err"
fi
`;

/** What RUNTIME_SCRIPT reports. */
export interface RuntimeProbe {
  glibc: string | null;
  glibcRaw: string;
  /** `ldconfig -p` entries: soname, flags (e.g. `libc6,x86-64`), path, real path. */
  cache: { soname: string; flags: string; path: string; realPath: string }[];
}

export function parseRuntimeProbe(stdout: string): RuntimeProbe {
  const result: RuntimeProbe = { glibc: null, glibcRaw: '', cache: [] };
  const reals: string[] = [];
  for (const line of stdout.split('\n')) {
    const [tag, ...restParts] = line.split(' ');
    const rest = restParts.join(' ');
    if (tag === '@@glibc') {
      result.glibcRaw = rest;
      result.glibc = /^glibc (\d+\.\d+(?:\.\d+)?)$/.exec(rest.trim())?.[1] ?? null;
    } else if (tag === '@@cache') {
      // "\tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6"
      const match = /^\s*(\S+) \(([^)]*)\) => (.+)$/.exec(rest);
      if (match !== null) result.cache.push({ soname: match[1] ?? '', flags: match[2] ?? '', path: match[3] ?? '', realPath: '' });
    } else if (tag === '@@real') reals.push(rest);
  }
  result.cache.forEach((entry, i) => {
    entry.realPath = reals[i] ?? entry.path;
  });
  return result;
}

export interface ElfVerdict {
  path: string;
  ok: boolean;
  messages: string[];
}

/** What INSPECT_SCRIPT reports. */
export interface InspectOutput {
  ldso: string;
  elf: ElfVerdict[];
  /** Exit status of the bundled node that loaded the addons, and its stderr. */
  nodeExit: number | null;
  nodeStderr: string[];
  /** The addon loader's own lines, for parseAddonLoads. */
  addonLines: string;
  fatal: string | null;
}

export function parseInspect(stdout: string): InspectOutput {
  const result: InspectOutput = { ldso: '', elf: [], nodeExit: null, nodeStderr: [], addonLines: '', fatal: null };
  const addonLines: string[] = [];
  let current: ElfVerdict | undefined;
  for (const line of stdout.split('\n')) {
    const [tag, ...restParts] = line.split(' ');
    const rest = restParts.join(' ');
    switch (tag) {
      case '@@ldso':
        result.ldso = rest;
        break;
      case '@@elf': {
        const [code, ...pathParts] = restParts;
        current = { path: pathParts.join(' '), ok: code === '0', messages: [] };
        result.elf.push(current);
        break;
      }
      case '@@msg':
        if (current === undefined) addonLines.push(line);
        else if (rest.trim() !== '') {
          current.messages.push(rest.trim());
          current.ok = false;
        }
        break;
      case '@@node-exit':
        result.nodeExit = Number(rest);
        current = undefined;
        break;
      case '@@node-err':
        result.nodeStderr.push(rest);
        break;
      case '@@try':
      case '@@dlopen':
        addonLines.push(line);
        current = undefined;
        break;
      case '@@fatal':
        result.fatal = rest;
        break;
      default:
        break;
    }
  }
  result.addonLines = addonLines.join('\n');
  return result;
}

export interface AddonVerdict {
  path: string;
  ok: boolean;
  message: string | null;
}

/** Parses ADDON_LOADER_JS output; `crashedAt` is the addon whose dlopen never returned. */
export function parseAddonLoads(stdout: string): { verdicts: AddonVerdict[]; crashedAt: string | null } {
  const verdicts: AddonVerdict[] = [];
  let trying: string | null = null;
  let last: AddonVerdict | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('@@try ')) trying = line.slice(6);
    else if (line.startsWith('@@dlopen ok ')) {
      last = { path: line.slice(12), ok: true, message: null };
      verdicts.push(last);
      trying = null;
    } else if (line.startsWith('@@dlopen err ')) {
      last = { path: line.slice(13), ok: false, message: null };
      verdicts.push(last);
      trying = null;
    } else if (line.startsWith('@@msg ') && last !== undefined && !last.ok) {
      last.message = line.slice(6);
    }
  }
  return { verdicts, crashedAt: trying };
}
