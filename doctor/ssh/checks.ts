/** The chain's own checks: `host`, `install` and `boot` (the server started on the host). */
import type { ServerStart } from '../boot/index.js';
import type { CheckResult } from '../report-types.js';
import type { HostInstall, InstallOutcome } from './install.js';
import { describeHost, type HostRecord } from './record.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

export function hostCheck(host: HostRecord, releaseArch: string, wanted: readonly string[]): CheckResult {
  const who = `${host.user}@${host.hostname}:${host.port}`;
  if (!wanted.includes(host.arch)) {
    return {
      id: 'host',
      ok: false,
      message: `${who} is ${host.arch}, the release is built for ${releaseArch} (${wanted.join('/')}): validate the release of the host's arch`,
    };
  }
  const free = host.freeBytes === null ? '' : `, ${gib(host.freeBytes)} free in ${host.home}`;
  return { id: 'host', ok: true, message: `${who}: ${describeHost(host)}${free}` };
}

export function installCheck(outcome: InstallOutcome, expected: string, ms: number): CheckResult {
  if (!outcome.ok) {
    if (outcome.reason === 'sha256') {
      return { id: 'install', ok: false, message: `the host read sha256 ${outcome.got || '(none)'} from the stream, the manifest says ${expected}: nothing was installed` };
    }
    return { id: 'install', ok: false, message: `the host's tar could not extract the release: ${outcome.messages.at(-1) ?? 'no message'}`, details: outcome.messages };
  }
  const install: HostInstall = outcome.install;
  const details = install.tarWarnings.map((w) => `host tar: ${w}`);
  if (install.reused) {
    return { id: 'install', ok: true, message: `reused ${install.dir}: its marker holds this tarball's sha256 ${expected.slice(0, 12)}…`, details };
  }
  return { id: 'install', ok: true, message: `installed into ${install.dir} in ${seconds(ms)}; sha256 checked on the host`, details };
}

export function launchCheck(start: ServerStart, bin: string): CheckResult {
  if (start.ok) return { id: 'boot', ok: true, message: `${bin} listened on the host's 127.0.0.1:${start.port} after ${seconds(start.startMs)}` };
  const what =
    start.reason === 'timeout'
      ? `${bin} printed no "Extension host agent listening on <port>" within ${seconds(start.startMs)}`
      : `${bin} exited (code ${start.exitCode ?? 'unknown'}) before "Extension host agent listening on <port>"`;
  return { id: 'boot', ok: false, message: `${what}; the last lines of its log follow`, details: start.log.slice(-15) };
}
