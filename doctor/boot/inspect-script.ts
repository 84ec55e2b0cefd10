/**
 * The one exec that gathers everything a boot learns from the container besides the server
 * itself: the install's commit, the runtime facts (glibc, ldconfig cache, the real paths of
 * cached libraries) and the loader's verdict on every ELF file. One exec instead of one per file
 * keeps the overhead of a boot small: each exec is a round trip to the engine.
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

export const INSPECT_SCRIPT = String.raw`
dir="$1"; ldso="$2"; shift 2
cd "$dir" || { echo "@@fatal cannot enter $dir"; exit 90; }
echo "@@commit $(sed -n 's/.*"commit"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' product.json 2>/dev/null | head -n 1)"
for f in bin/*; do
  if [ -f "$f" ] && [ -x "$f" ]; then echo "@@bin $f"; fi
done
echo "@@glibc $(getconf GNU_LIBC_VERSION 2>&1)"
if [ ! -x "$ldso" ]; then
  for c in /lib64/ld-linux-x86-64.so.2 /lib/ld-linux-aarch64.so.1 /lib/ld-linux-armhf.so.3 /lib/ld-linux.so.2; do
    if [ -x "$c" ]; then ldso="$c"; break; fi
  done
fi
echo "@@ldso $ldso"
ldconfig -p > /tmp/.rai-ldconfig 2>&1
sed 's/^/@@cache /' /tmp/.rai-ldconfig
sed -n 's/^.* => //p' /tmp/.rai-ldconfig | xargs -r readlink -m | sed 's/^/@@real /'
while [ $# -gt 0 ] && [ "$1" != "--addons" ]; do
  f="$1"; shift
  "$ldso" --list "./$f" > /tmp/.rai-out 2> /tmp/.rai-err
  echo "@@elf $? $f"
  grep 'not found' /tmp/.rai-out | sed 's/^[[:space:]]*/@@msg /'
  sed 's/^/@@msg /' /tmp/.rai-err
done
[ $# -gt 0 ] && shift
if [ $# -gt 0 ]; then
  ./node -e "$RAI_ADDON_LOADER" "$@" 2> /tmp/.rai-node-err
  echo "@@node-exit $?"
  sed 's/^/@@node-err /' /tmp/.rai-node-err
fi
`;

export interface ElfVerdict {
  path: string;
  ok: boolean;
  messages: string[];
}

export interface InspectOutput {
  commit: string | null;
  bins: string[];
  glibc: string | null;
  glibcRaw: string;
  ldso: string;
  /** `ldconfig -p` entries: soname, flags (e.g. `libc6,x86-64`), path, real path. */
  cache: { soname: string; flags: string; path: string; realPath: string }[];
  elf: ElfVerdict[];
  /** Exit status of the bundled node that loaded the addons, and its stderr. */
  nodeExit: number | null;
  nodeStderr: string[];
  /** The addon loader's own lines, for parseAddonLoads. */
  addonLines: string;
  fatal: string | null;
}

export function parseInspect(stdout: string): InspectOutput {
  const result: InspectOutput = { commit: null, bins: [], glibc: null, glibcRaw: '', ldso: '', cache: [], elf: [], nodeExit: null, nodeStderr: [], addonLines: '', fatal: null };
  const addonLines: string[] = [];
  const reals: string[] = [];
  let current: ElfVerdict | undefined;
  for (const line of stdout.split('\n')) {
    const [tag, ...restParts] = line.split(' ');
    const rest = restParts.join(' ');
    switch (tag) {
      case '@@commit':
        result.commit = rest === '' ? null : rest;
        break;
      case '@@bin':
        result.bins.push(rest);
        break;
      case '@@glibc':
        result.glibcRaw = rest;
        result.glibc = /^glibc (\d+\.\d+(?:\.\d+)?)$/.exec(rest.trim())?.[1] ?? null;
        break;
      case '@@ldso':
        result.ldso = rest;
        break;
      case '@@cache': {
        // "\tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6"
        const match = /^\s*(\S+) \(([^)]*)\) => (.+)$/.exec(rest);
        if (match !== null) result.cache.push({ soname: match[1] ?? '', flags: match[2] ?? '', path: match[3] ?? '', realPath: '' });
        break;
      }
      case '@@real':
        reals.push(rest);
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
  result.cache.forEach((entry, i) => {
    entry.realPath = reals[i] ?? entry.path;
  });
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
