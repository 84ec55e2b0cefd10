/**
 * The validation record: VerifyReport (so the human, JSON, JUnit and GitHub writers of verify and
 * boot print it) plus what a support engineer asks first: which host, which install, which node,
 * and the audit chain with each step's duration. `--json` prints it as is: extend, never rename.
 */
import type { ToolErrorCode } from '../../abi-gate/index.js';
import type { CheckId, CheckResult, TarballReport, VerifyReport } from '../report-types.js';

export type ChainStepName = 'bootstrap' | 'requirements' | 'install' | 'launch' | 'tunnel' | 'native-load' | 'teardown';

export const CHAIN: readonly ChainStepName[] = ['bootstrap', 'requirements', 'install', 'launch', 'tunnel', 'native-load', 'teardown'];

export interface ChainStep {
  step: ChainStepName;
  /** true done, false failed, null not run. */
  ok: boolean | null;
  ms: number;
  note?: string;
}

/** The host as ssh resolved it and as it described itself; no keys, tokens or environment. */
export interface HostRecord {
  destination: string;
  user: string;
  hostname: string;
  port: number;
  arch: string;
  os: string | null;
  libc: 'glibc' | 'musl' | 'unknown';
  glibc: string | null;
  glibcxx: string | null;
  kernel: string;
  home: string;
  freeBytes: number | null;
}

export interface SshTarballReport extends TarballReport {
  commit: string | null;
  sha256: string | null;
  install: { dir: string; reused: boolean } | null;
  /** `node --version` of the bundled node, run on the host. */
  node: string | null;
  chain: ChainStep[];
}

export interface SshFault {
  code: ToolErrorCode;
  message: string;
  hint: string | null;
}

export interface SshReport extends VerifyReport {
  destination: string;
  host: HostRecord | null;
  tarballs: SshTarballReport[];
  /** The environment problem that stopped the run (exit 2), also set as the tarballs' `error`. */
  fault?: SshFault;
}

/** Checks of the chain in report order. */
export const SSH_CHECKS: readonly CheckId[] = ['host', 'requirements', 'install', 'boot', 'tunnel', 'native-load', 'prediction'];

export function notRun(id: CheckId, why: string): CheckResult {
  return { id, ok: null, message: `not run: ${why}` };
}

/**
 * Connection tokens must never reach a record: `tkn=` in URLs the server prints, the value of
 * `--connection-token`, and any value the caller names.
 */
export function redact<T>(value: T, secrets: readonly string[]): T {
  const known = secrets.filter((s) => s.length >= 4);
  const clean = (text: string): string => {
    let out = text.replace(/([?&]tkn=)[^&\s"']+/g, '$1<redacted>').replace(/(--connection-token[= ])\S+/g, '$1<redacted>');
    for (const secret of known) out = out.split(secret).join('<redacted>');
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return clean(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** Secret values among the server arguments (`--connection-token X`, `--connection-token=X`). */
export function secretsInArgs(args: readonly string[]): string[] {
  const secrets: string[] = [];
  args.forEach((arg, i) => {
    if (arg === '--connection-token' && args[i + 1] !== undefined) secrets.push(args[i + 1] ?? '');
    else if (arg.startsWith('--connection-token=')) secrets.push(arg.slice('--connection-token='.length));
  });
  return secrets;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export function describeHost(host: HostRecord): string {
  const glibc = host.libc === 'glibc' ? `glibc ${host.glibc ?? '?'}` : host.libc;
  const glibcxx = host.glibcxx === null ? '' : `, GLIBCXX ${host.glibcxx}`;
  return `${host.arch}, ${host.os ?? 'unknown OS'}, ${glibc}${glibcxx}, kernel ${host.kernel}`;
}

/** The record's lines for one tarball, worded as the release pipeline recorded its ssh runs. */
export function recordLines(report: SshReport, tarball: SshTarballReport): string[] {
  const lines: string[] = [];
  if (tarball.install !== null) {
    const dir = report.host !== null && tarball.install.dir.startsWith(`${report.host.home}/`) ? `~${tarball.install.dir.slice(report.host.home.length)}` : tarball.install.dir;
    lines.push(`server dir: ${dir} (${tarball.install.reused ? 'reused' : 'installed'})`);
  }
  if (tarball.node !== null) lines.push(`bundled Node: ${tarball.node}`);
  if (report.host !== null) lines.push(`remote glibc: ${report.host.glibc ?? report.host.libc}`);
  const chain = tarball.chain.map((c) => (c.ok === null && c.ms === 0 ? `${c.step} (not run)` : `${c.step}${c.ok === false ? ' FAILED' : ''} ${s(c.ms)}`));
  lines.push(`audit chain: ${chain.join(' -> ')}`);
  return lines;
}

export function renderSshHuman(report: SshReport, renderBlock: (report: VerifyReport) => string): string {
  const head = [`doctor ssh ${report.destination}`];
  if (report.host !== null) {
    head.push(`host: ${report.host.user}@${report.host.hostname}:${report.host.port}: ${describeHost(report.host)}`);
  }
  const blocks = report.tarballs.map((t) => {
    const block = renderBlock({ ok: t.ok, tarballs: [t] }).trimEnd();
    return [block, ...recordLines(report, t).map((l) => `  ${l}`)].join('\n');
  });
  return `${head.join('\n')}\n\n${blocks.join('\n\n')}\n`;
}
