/**
 * The audit chain of `doctor ssh`: bootstrap -> requirements -> install -> launch -> tunnel ->
 * native-load -> teardown, each timed and recorded, over one master connection. The release's
 * own files are read here while ssh connects. A failed check stops only what depends on it; an
 * environment fault (exit 2) stops the run with the steps done so far in the report. Whatever
 * happens, the server's process group is stopped, the forward and the master closed.
 */
import { createReadStream } from 'node:fs';
import createDebug from 'debug';
import { ToolError, isToolError, predictLoad, type Machine } from '../../abi-gate/index.js';
import { loadTargets, nativeLoadCheck, pickServerBin, predictionCheck, scanInstall, type InstallScan } from '../boot/index.js';
import type { CheckResult } from '../report-types.js';
import { OpenSshClient, type Forward, type SshClient, type SshConnection, type SshSettings } from './client.js';
import { hostCheck, installCheck, launchCheck } from './checks.js';
import { BOOTSTRAP_SCRIPT, hostFault, readHostFacts, type HostFacts } from './host-facts.js';
import { readHostRuntime } from './host-runtime.js';
import { findInstall, installOnHost, removeInstall, type InstallOutcome } from './install.js';
import { launchServer, type LaunchedServer } from './launch.js';
import { loadOnHost, type NativeResult } from './native.js';
import { readReleaseFacts, type ReleaseFacts } from './release-facts.js';
import { archOfMachine, isTargetArch, unameSpellingsOf } from '../../release/index.js';
import { CHAIN, SSH_CHECKS, notRun, redact, secretsInArgs, type ChainStepName, type HostRecord, type SshReport, type SshTarballReport } from './record.js';
import { requirementsCheck, runHostCheck, type HostCheckVerdict } from './requirements.js';
import { probeThroughTunnel, tunnelCheck } from './tunnel.js';

const debug = createDebug('remote-ai:doctor:ssh');

export interface SshValidateOptions {
  destination: string;
  tarballs: readonly string[];
  ssh: SshSettings;
  /** The OpenSSH client by default; tests may hand in another. */
  client?: SshClient;
  /** `host` (default): abi-gate's check against the host's own libraries; or a policy name/file. */
  policy?: string;
  /** Delete the install at teardown (default: keep it, as the IDE would reuse it). */
  remove?: boolean;
  /** How long the server may take to print its listening line. */
  launchTimeoutMs?: number;
  serverArgs?: readonly string[];
  signal?: AbortSignal;
}

interface Prepared {
  release: ReleaseFacts;
  scan: InstallScan;
}

const ignore = (): void => undefined;

async function prepare(tarball: string): Promise<Prepared> {
  const [release, scan] = await Promise.all([readReleaseFacts(tarball), scanInstall(tarball)]);
  return { release, scan };
}

function hostRecord(facts: HostFacts, connection: SshConnection): HostRecord {
  const t = connection.target;
  return {
    destination: t.destination,
    user: t.user,
    hostname: t.hostname,
    port: t.port,
    arch: facts.arch,
    os: facts.os,
    libc: facts.libc,
    glibc: facts.glibc,
    glibcxx: null,
    kernel: facts.kernel,
    home: facts.home,
    freeBytes: facts.freeBytes,
  };
}

/** One tarball's record under construction. */
class Entry {
  readonly report: SshTarballReport;

  constructor(file: string) {
    this.report = { file, ok: false, checks: [], commit: null, sha256: null, install: null, node: null, chain: [] };
  }

  add(check: CheckResult): CheckResult {
    this.report.checks.push(check);
    return check;
  }

  async step<T>(step: ChainStepName, work: () => Promise<T>, okOf: (value: T) => boolean | null = () => true): Promise<T> {
    const began = performance.now();
    try {
      const value = await work();
      this.report.chain.push({ step, ok: okOf(value), ms: performance.now() - began });
      return value;
    } catch (error) {
      this.report.chain.push({ step, ok: false, ms: performance.now() - began, note: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }

  /** Marks every check and step not yet recorded as not run. */
  rest(why: string): void {
    const have = new Set(this.report.checks.map((c) => c.id));
    for (const id of SSH_CHECKS) if (!have.has(id)) this.report.checks.push(notRun(id, why));
    const done = new Set(this.report.chain.map((c) => c.step));
    for (const step of CHAIN) if (!done.has(step)) this.report.chain.push({ step, ok: null, ms: 0 });
    this.report.checks.sort((a, b) => SSH_CHECKS.indexOf(a.id) - SSH_CHECKS.indexOf(b.id));
    this.report.chain.sort((a, b) => CHAIN.indexOf(a.step) - CHAIN.indexOf(b.step));
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new ToolError('INTERRUPTED', 'interrupted', { exitCode: 2 });
}

export async function validateOverSsh(options: SshValidateOptions): Promise<SshReport> {
  const client = options.client ?? new OpenSshClient(options.ssh);
  const signal = options.signal;
  const entries = options.tarballs.map((file) => new Entry(file));
  const preparing = options.tarballs.map((t) => prepare(t));
  for (const p of preparing) p.catch(ignore);
  const report: SshReport = { ok: false, destination: options.destination, host: null, tarballs: entries.map((e) => e.report) };

  let connection: SshConnection | null = null;
  const began = performance.now();
  try {
    let facts: HostFacts;
    try {
      const target = await client.resolve(options.destination);
      throwIfAborted(signal);
      connection = await client.connect(target, { hello: BOOTSTRAP_SCRIPT, ...(signal === undefined ? {} : { signal }) });
      facts = readHostFacts(connection);
    } catch (error) {
      const ms = performance.now() - began;
      for (const e of entries) e.report.chain.push({ step: 'bootstrap', ok: false, ms });
      throw error;
    }
    const bootstrapMs = performance.now() - began;
    report.host = hostRecord(facts, connection);
    for (const [i, entry] of entries.entries()) {
      entry.report.chain.push({ step: 'bootstrap', ok: true, ms: bootstrapMs, ...(entries.length > 1 ? { note: `one connection for ${entries.length} tarballs` } : {}) });
      await validateOne(entry, preparing[i] as Promise<Prepared>, connection, facts, report.host, options);
    }
  } catch (error) {
    if (!isToolError(error) || error.exitCode !== 2) throw error;
    report.fault = { code: error.code, message: error.message, hint: error.hint ?? null };
    const line = error.toLine();
    for (const entry of entries) {
      if (entry.report.checks.length < SSH_CHECKS.length) entry.report.error = line;
    }
  } finally {
    if (connection !== null) {
      const closeBegan = performance.now();
      await connection.close();
      const last = entries.at(-1)?.report.chain.find((c) => c.step === 'teardown');
      if (last !== undefined) last.ms += performance.now() - closeBegan;
    }
  }
  for (const entry of entries) {
    entry.rest(report.fault === undefined ? 'an earlier step failed' : `the run stopped (${report.fault.code})`);
    entry.report.ok = entry.report.error === undefined && entry.report.checks.every((c) => c.ok !== false);
  }
  report.ok = entries.every((e) => e.report.ok);
  return redact(report, secretsInArgs(options.serverArgs ?? []));
}

async function validateOne(
  entry: Entry,
  preparing: Promise<Prepared>,
  connection: SshConnection,
  facts: HostFacts,
  host: HostRecord,
  options: SshValidateOptions,
): Promise<void> {
  const signal = options.signal;
  const prepared = await preparing.catch((error: unknown) => {
    if (isToolError(error)) {
      entry.report.error = error.toLine();
      return null;
    }
    throw error;
  });
  if (prepared === null) return;
  const { release, scan } = prepared;
  entry.report.commit = release.commit;
  entry.report.sha256 = release.sha256;

  // host: the release's arch against the host's
  const { targets } = loadTargets(scan.files);
  const machine = (scan.files.find((f) => f.path === 'node')?.machine ?? targets[0]?.machine ?? 'x86_64') as Machine;
  const releaseArch = release.manifest?.target.arch ?? archOfMachine(machine) ?? machine;
  const wanted = isTargetArch(releaseArch) ? unameSpellingsOf(releaseArch) : [machine];
  if (!entry.add(hostCheck(host, releaseArch, wanted)).ok) return;
  const fault = hostFault(facts, connection.target.destination, release.unpackedBytes);
  if (fault !== null) throw fault;
  throwIfAborted(signal);

  // install, part one: is a finished install of these bytes there? Read-only: it runs beside
  // the requirements step, which still comes before anything is written.
  const commit = release.commit ?? '';
  const expected = release.manifest?.tarball.sha256 ?? release.sha256;
  const blocked: CheckResult | null =
    release.commit === null
      ? { id: 'install', ok: false, message: 'neither the manifest nor product.json names a commit: the install folder bin/<commit> cannot be named' }
      : expected !== release.sha256
        ? { id: 'install', ok: false, message: `${release.tarball} has sha256 ${release.sha256}, its manifest says ${expected}: the file changed after packager wrote the manifest; nothing was sent` }
        : null;
  const finding = blocked === null ? findInstall(connection, { commit, sha256: expected, ...(signal === undefined ? {} : { signal }) }) : Promise.resolve(null);
  finding.catch(ignore);

  // requirements: before anything is installed
  const needed = new Set(targets.flatMap((f) => f.needed));
  const [runtime, verdict] = await entry.step(
    'requirements',
    () =>
      Promise.all([
        readHostRuntime(connection, facts, machine, needed, signal),
        release.hostCheck === null ? Promise.resolve<HostCheckVerdict>({ ran: false }) : runHostCheck(connection, release.hostCheck, facts.home, signal),
      ]),
    () => null,
  );
  host.glibcxx ??= runtime.glibcxx;
  const requirements = entry.add(
    requirementsCheck({ files: scan.files, tree: scan.tree, machine, runtime, policy: options.policy ?? 'host', hostLabel: `host ${connection.target.destination}`, hostCheck: verdict }),
  );
  setLastOk(entry, requirements.ok);
  throwIfAborted(signal);
  if (blocked !== null) {
    entry.add(blocked);
    return;
  }

  const installBegan = performance.now();
  const outcome = await entry.step(
    'install',
    async (): Promise<InstallOutcome> => {
      const found = await finding;
      if (found !== null) return { ok: true, install: found };
      return installOnHost(connection, { commit, sha256: expected, open: () => createReadStream(release.tarball), ...(signal === undefined ? {} : { signal }) });
    },
    (o) => o.ok,
  );
  entry.add(installCheck(outcome, expected, performance.now() - installBegan));
  if (!outcome.ok) return;
  const install = outcome.install;
  entry.report.install = { dir: install.dir, reused: install.reused };
  entry.report.node = install.nodeVersion || null;
  throwIfAborted(signal);

  let bin: string;
  try {
    bin = pickServerBin({ bins: install.bins, serverApplicationName: release.serverApplicationName }, release.tarball);
  } catch (error) {
    if (!isToolError(error) || error.exitCode !== 1) throw error;
    entry.add({ id: 'boot', ok: false, message: error.toLine() });
    return;
  }

  // launch and native-load run side by side: the loader needs the install, not the server.
  const nativeBegan = performance.now();
  let nativeMs = 0;
  const loading: Promise<NativeResult> = loadOnHost(connection, install.dir, scan.files, signal).finally(() => {
    nativeMs = performance.now() - nativeBegan;
  });
  loading.catch(ignore);
  let server: LaunchedServer | null = null;
  let forward: Forward | null = null;
  try {
    server = await entry.step(
      'launch',
      () => launchServer(connection, { dir: install.dir, bin, timeoutMs: options.launchTimeoutMs ?? 60_000, ...(options.serverArgs === undefined ? {} : { args: options.serverArgs }), ...(signal === undefined ? {} : { signal }) }),
      (s) => s.start.ok,
    );
    throwIfAborted(signal);
    entry.add(launchCheck(server.start, bin));
    const start = server.start;
    if (start.ok) {
      const { forward: opened, probe } = await entry.step('tunnel', () => probeThroughTunnel(connection, start.port, 10_000));
      forward = opened;
      setLastOk(entry, entry.add(tunnelCheck(probe, start.port, commit)).ok);
    } else {
      entry.add(notRun('tunnel', 'the server never listened'));
    }
    const native = await loading;
    entry.report.chain.push({ step: 'native-load', ok: native.native.every((v) => v.ok), ms: nativeMs, note: 'ran beside launch' });
    entry.add(nativeLoadCheck(native.native, runtime, native.skipped));
    entry.add(predictionCheck(predictLoad(loadTargets(scan.files).targets, scan.files, scan.tree, runtime), native.native, runtime));
  } finally {
    await entry.step('teardown', async () => {
      await Promise.all([forward?.close(), server?.stop(), loading.catch(ignore)]);
      if (options.remove === true) await removeInstall(connection, commit);
    });
    debug('teardown of %s done', release.tarball);
  }
}

function setLastOk(entry: Entry, ok: boolean | null): void {
  const last = entry.report.chain.at(-1);
  if (last !== undefined) last.ok = ok;
}

