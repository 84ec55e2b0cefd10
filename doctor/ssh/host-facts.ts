/**
 * bootstrap: the host's facts in one round trip. The `@@glibc`, `@@cache` and `@@real` lines are
 * the ones doctor boot's runtime probe prints, so its parser reads them here too.
 */
import { ToolError } from '../../abi-gate/index.js';
import { parseRuntimeProbe, type RuntimeProbe } from '../boot/index.js';
import type { SshConnection } from './client.js';

/**
 * ldconfig sits in /sbin, which a user's PATH often lacks (Debian). The exec probe writes a
 * two-line script where the install goes: a `noexec` home is found before anything is sent.
 */
export const BOOTSTRAP_SCRIPT = String.raw`
echo "@@arch $(uname -m)"
echo "@@kernel $(uname -r)"
if [ -r /etc/os-release ]; then (. /etc/os-release; [ -n "$PRETTY_NAME" ] || PRETTY_NAME="$NAME"; echo "@@os $PRETTY_NAME"); fi
echo "@@glibc $(getconf GNU_LIBC_VERSION 2>&1)"
for m in /lib/ld-musl-*.so.1; do [ -e "$m" ] && echo "@@musl $m"; done
echo "@@home $HOME"
ldc=
for c in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
  if command -v "$c" >/dev/null 2>&1; then ldc="$c"; break; fi
done
if [ -n "$ldc" ]; then
  "$ldc" -p 2>/dev/null | sed 's/^/@@cache /'
  "$ldc" -p 2>/dev/null | sed -n 's/^.* => //p' | xargs readlink -m 2>/dev/null | sed 's/^/@@real /'
fi
for t in tar gzip sha256sum mkfifo setsid flock; do
  p="$(command -v "$t" 2>/dev/null)" && echo "@@tool $t $p"
done
base="$HOME/.remote-ai-server/bin"
if mkdir -p "$base" 2>/dev/null && [ -w "$base" ]; then
  echo "@@writable yes"
  probe="$base/.doctor-exec-probe-$$"
  printf '#!/bin/sh\nexit 0\n' > "$probe" && chmod 700 "$probe" && "$probe" 2>/dev/null && echo "@@exec yes"
  rm -f "$probe"
  echo "@@df $(df -Pk "$base" 2>/dev/null | tail -n 1)"
fi
`;

export type HostTool = 'tar' | 'gzip' | 'sha256sum' | 'mkfifo' | 'setsid' | 'flock';

export interface HostFacts {
  /** `uname -m`: x86_64, aarch64, ... */
  arch: string;
  kernel: string;
  /** os-release PRETTY_NAME, or null when the host has no /etc/os-release. */
  os: string | null;
  libc: 'glibc' | 'musl' | 'unknown';
  /** From `getconf GNU_LIBC_VERSION`, e.g. 2.31. */
  glibc: string | null;
  home: string;
  /** Bytes free where the install goes; null when df said nothing. */
  freeBytes: number | null;
  writable: boolean;
  exec: boolean;
  tools: Partial<Record<HostTool, string>>;
  /** The loader cache as doctor boot's runtime probe reads it. */
  runtime: RuntimeProbe;
}

export function parseHostFacts(stdout: string): HostFacts {
  const facts: HostFacts = {
    arch: '',
    kernel: '',
    os: null,
    libc: 'unknown',
    glibc: null,
    home: '',
    freeBytes: null,
    writable: false,
    exec: false,
    tools: {},
    runtime: parseRuntimeProbe(stdout),
  };
  let musl = false;
  for (const line of stdout.split('\n')) {
    const at = line.indexOf(' ');
    const tag = at === -1 ? line : line.slice(0, at);
    const rest = at === -1 ? '' : line.slice(at + 1);
    switch (tag) {
      case '@@arch': facts.arch = rest.trim(); break;
      case '@@kernel': facts.kernel = rest.trim(); break;
      case '@@os': facts.os = rest.trim() || null; break;
      case '@@musl': musl = true; break;
      case '@@home': facts.home = rest.trim(); break;
      case '@@writable': facts.writable = true; break;
      case '@@exec': facts.exec = true; break;
      case '@@tool': {
        const [name, ...path] = rest.split(' ');
        facts.tools[name as HostTool] = path.join(' ');
        break;
      }
      case '@@df': {
        // POSIX df -Pk: "Filesystem 1024-blocks Used Available Capacity Mounted-on"
        const available = Number(rest.trim().split(/\s+/)[3]);
        if (Number.isFinite(available)) facts.freeBytes = available * 1024;
        break;
      }
      default: break;
    }
  }
  facts.glibc = facts.runtime.glibc;
  facts.libc = facts.glibc !== null ? 'glibc' : musl ? 'musl' : 'unknown';
  return facts;
}

/** The facts BOOTSTRAP_SCRIPT printed as the connection's hello (see SshClient.connect). */
export function readHostFacts(connection: SshConnection): HostFacts {
  const facts = parseHostFacts(connection.hello);
  if (facts.arch === '') {
    throw new ToolError('HOST_SHELL', `${connection.target.destination}: the host's shell did not run the bootstrap script`, {
      hint: 'doctor ssh needs /bin/sh and a login shell that runs sh-quoted commands (sh, bash, zsh, ksh)',
      exitCode: 2,
    });
  }
  return facts;
}

/**
 * Environment faults found before anything is sent: each is the host's problem, not the
 * release's (exit 2), and names the fix.
 */
export function hostFault(facts: HostFacts, destination: string, neededBytes: number | null): ToolError | null {
  const missing = (['tar', 'gzip'] as const).filter((t) => facts.tools[t] === undefined);
  if (missing.length > 0) {
    return new ToolError('HOST_NO_TAR', `${destination}: no ${missing.join(' or ')} on the host's PATH; the server is installed with the host's own tar -xz`, {
      hint: `install ${missing.join(' and ')} there (apt-get install ${missing.join(' ')}, yum install ${missing.join(' ')})`,
      exitCode: 2,
    });
  }
  if (!facts.writable) {
    return new ToolError('HOST_HOME_UNWRITABLE', `${destination}: cannot write ${facts.home}/.remote-ai-server/bin`, {
      hint: `make the home folder writable for ${destination}'s user, or log in as a user who owns one`,
      exitCode: 2,
    });
  }
  if (!facts.exec) {
    return new ToolError('HOST_NOEXEC', `${destination}: files in ${facts.home}/.remote-ai-server cannot be executed (a noexec mount?)`, {
      hint: 'remount the home without noexec, or log in as a user whose home allows executables',
      exitCode: 2,
    });
  }
  if (neededBytes !== null && facts.freeBytes !== null && facts.freeBytes < neededBytes) {
    return new ToolError('HOST_DISK_FULL', `${destination}: ${mib(facts.freeBytes)} free in ${facts.home}, the server needs ${mib(neededBytes)}`, {
      hint: 'free space in the home folder (old servers sit in ~/.remote-ai-server/bin)',
      exitCode: 2,
    });
  }
  return null;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
