import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { suiteName } from '../boot/test-support/docker-gate.js';
import { buildFixtureTarball, COMMIT, removeFixtureTarballs } from '../boot/test-support/fixture-server.js';
import { runCli } from '../cli.js';
import { validateOverSsh, type SshValidateOptions } from './chain.js';
import { CONTROL_DIR_PREFIX } from './client.js';
import type { SshReport } from './record.js';
import { CLI_BIN, sshGate, startSshd, type SshdHost } from './test-support/sshd.js';

const gate = await sshGate();
const BIN = CLI_BIN;

const INSTALL = `/home/tester/.remote-ai-server/bin/${COMMIT}`;

describe.skipIf(!gate.run)(suiteName('doctor ssh against a real sshd (Debian bullseye, glibc 2.31)', gate), () => {
  const { node } = gate;
  let host: SshdHost;
  const tarballs: Record<string, string> = {};
  beforeAll(async () => {
    host = await startSshd(gate.docker, gate.image);
    tarballs.good = await buildFixtureTarball(node, ['glibc-2.2.5']);
    tarballs.new = await buildFixtureTarball(node, ['glibc-2.34-pthread']);
  }, 180_000);
  afterAll(async () => {
    await host?.[Symbol.asyncDispose]();
    await removeFixtureTarballs();
  });
  beforeEach(async () => {
    await host.sh('rm -rf /home/tester/.remote-ai-server');
  });

  const ssh = (): SshValidateOptions['ssh'] => ({ configFile: host.configFile, options: [], connectTimeoutS: 10 });
  const run = (tarball: string, extra: Partial<SshValidateOptions> = {}): Promise<SshReport> =>
    validateOverSsh({ destination: 'rai-dev', tarballs: [tarball], ssh: ssh(), launchTimeoutMs: 30_000, ...extra });
  const check = (report: SshReport, id: string) => report.tarballs[0]?.checks.find((c) => c.id === id) ?? expect.fail(`no ${id} check`);
  const cli = async (args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['ssh', ...args, '--ssh-config', host.configFile], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} });
    return { code, stdout, stderr };
  };
  /** Processes on the host running the server's entry point, and this suite's run folders. */
  const serverProcesses = async (): Promise<string> =>
    (await host.sh(`for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done | grep 'out/server-main.js' | grep -v grep || true`)).trim();
  const runFolders = async (): Promise<string> => (await host.sh('ls -d /tmp/remote-ai-doctor.* 2>/dev/null || true')).trim();

  it('installs the good release, boots it, answers /version through the tunnel and loads every module; a second run reuses the install', async () => {
    const first = await run(tarballs.good ?? '');
    expect(first.fault).toBeUndefined();
    for (const id of ['host', 'requirements', 'install', 'boot', 'tunnel', 'native-load', 'prediction']) expect(check(first, id)).toMatchObject({ ok: true });
    expect(check(first, 'tunnel').message).toContain(`GET /version answered ${COMMIT}, GET / answered 200`);
    expect(check(first, 'native-load').message).toMatch(/^all 4 ELF files load on glibc 2\.31, GLIBCXX_3\.4\.28 \(3 addons by the bundled node's dlopen/);
    expect(first.host).toMatchObject({ user: 'tester', hostname: '127.0.0.1', port: host.port, arch: 'x86_64', glibc: '2.31', glibcxx: '3.4.28', libc: 'glibc' });
    expect(first.host?.os).toMatch(/Debian GNU\/Linux 11/);
    const entry = first.tarballs[0];
    expect(entry?.install).toEqual({ dir: INSTALL, reused: false });
    expect(entry?.node).toBe('v20.18.2');
    expect(entry?.chain.map((c) => [c.step, c.ok])).toEqual([
      ['bootstrap', true], ['requirements', true], ['install', true], ['launch', true], ['tunnel', true], ['native-load', true], ['teardown', true],
    ]);
    expect(entry?.chain.every((c) => c.ms > 0)).toBe(true);
    // The install is complete on the host: its marker holds the tarball's sha256, read independently.
    expect((await host.sh(`cat ${INSTALL}/.remote-ai-doctor-install`)).trim()).toBe(entry?.sha256);
    expect(await serverProcesses()).toBe('');
    expect(await runFolders()).toBe('');

    const second = await cli([ 'rai-dev', tarballs.good ?? '', '--json']);
    expect(second.code).toBe(0);
    const again = JSON.parse(second.stdout) as SshReport;
    expect(again.tarballs[0]?.install).toEqual({ dir: INSTALL, reused: true });
    expect(again.tarballs[0]?.checks.find((c) => c.id === 'install')?.message).toMatch(/^reused /);
    expect(again.ok).toBe(true);
    expect(await serverProcesses()).toBe('');
  }, 180_000);

  it("fails native-load for a module that needs GLIBC 2.34 with the loader's words, and requirements agrees", async () => {
    const { code, stdout } = await cli(['rai-dev', tarballs.new ?? '', '--json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as SshReport;
    const native = check(report, 'native-load');
    expect(native.ok).toBe(false);
    expect(native.details?.join('\n')).toMatch(/remote-ai-fixture\/build\/Release\/addon\.node \(dlopen\): .*libc\.so\.6: version `GLIBC_2\.34' not found/);
    const requirements = check(report, 'requirements');
    expect(requirements.ok).toBe(false);
    expect(requirements.message).toMatch(/^abi-gate: 1 of 4 ELF files need more than host rai-dev has/);
    expect(requirements.details?.join('\n')).toMatch(/addon\.node: needs GLIBC 2\.34/);
    // The sample's hand-written host check only asks for glibc 2.17 and lets the host through: the
    // record says the two disagree. A generated check (release/host-check) refuses, and they agree.
    if (requirements.message.endsWith('its check-requirements.sh accepts the host')) expect(requirements.details?.[0]).toMatch(/disagree/);
    else expect(requirements.message).toMatch(/its check-requirements\.sh refuses the host \(exit 99\)/);
    expect(check(report, 'prediction')).toMatchObject({ ok: true });
    expect(check(report, 'boot')).toMatchObject({ ok: true });
    expect(check(report, 'tunnel')).toMatchObject({ ok: true });
  }, 180_000);

  it('leaves no install that looks complete after a SIGKILL during install, and the next run recovers', async () => {
    const child = spawn(process.execPath, [BIN, 'ssh', 'rai-dev', tarballs.good ?? '', '--ssh-config', host.configFile], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    let extracting = false;
    for (let i = 0; i < 600 && !extracting; i++) {
      extracting = (await host.sh(`ls -a /home/tester/.remote-ai-server/bin 2>/dev/null | grep -c '^\\.${COMMIT}\\.tmp\\.' || true`)).trim() !== '0';
      if (!extracting) await new Promise((r) => setTimeout(r, 50));
    }
    expect(extracting).toBe(true);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect((await host.sh(`test -e ${INSTALL}/.remote-ai-doctor-install && echo complete || echo absent`)).trim()).toBe('absent');
    const killedControlDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith(`${CONTROL_DIR_PREFIX}${child.pid}.`));
    expect(killedControlDirs()).toHaveLength(1);

    const next = await run(tarballs.good ?? '');
    expect(check(next, 'install')).toMatchObject({ ok: true });
    expect(next.tarballs[0]?.install).toEqual({ dir: INSTALL, reused: false });
    expect(next.ok).toBe(true);
    // The killed run's half-extracted folder is gone, swept under the lock.
    expect((await host.sh('ls -a /home/tester/.remote-ai-server/bin')).split('\n').filter((n) => n.includes('.tmp.'))).toEqual([]);
    // And here: the killed run's control-socket folder was swept by the next run's connect.
    expect(killedControlDirs()).toEqual([]);
  }, 180_000);

  it('lets two runs for the same host and commit share the install without corrupting it (a lock on the host)', async () => {
    const [a, b] = await Promise.all([run(tarballs.good ?? ''), run(tarballs.good ?? '')]);
    expect(a.ok && b.ok).toBe(true);
    // One of them installed; the other waited for the lock and then found the finished install.
    expect([a, b].map((r) => r.tarballs[0]?.install?.reused).sort()).toEqual([false, true]);
    expect((await host.sh(`cat ${INSTALL}/.remote-ai-doctor-install`)).trim()).toBe(a.tarballs[0]?.sha256);
    expect((await host.sh('ls -a /home/tester/.remote-ai-server/bin')).split('\n').filter((n) => n.includes('.tmp.') || n.includes('.old.'))).toEqual([]);
    expect(await serverProcesses()).toBe('');
  }, 180_000);

  it('leaves no server process on the host after SIGINT during launch', async () => {
    // A socket path: the server never prints a port, so the run waits in launch until the signal.
    const child = spawn(process.execPath, [BIN, 'ssh', 'rai-dev', tarballs.good ?? '', '--ssh-config', host.configFile,
      '--server-arg=--socket-path', '--server-arg=/tmp/rai-never.sock', '--timeout', '120'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    let running = false;
    for (let i = 0; i < 600 && !running; i++) {
      running = (await serverProcesses()) !== '';
      if (!running) await new Promise((r) => setTimeout(r, 100));
    }
    expect(running).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe('SIGINT');
    expect(await serverProcesses()).toBe('');
    expect(await runFolders()).toBe('');
  }, 180_000);

  it('fails boot with the log tail when the server never listens within --timeout (exit 1)', async () => {
    const { code, stdout } = await cli(['rai-dev', tarballs.good ?? '', '--server-arg=--socket-path', '--server-arg=/tmp/rai-never.sock', '--timeout', '3']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/✗ boot +bin\/code-server-oss printed no "Extension host agent listening on <port>" within \d+\.\d s/);
    expect(stdout).toMatch(/– tunnel +not run: the server never listened/);
    expect(await serverProcesses()).toBe('');
  }, 180_000);

  it('gives the authentication error for a wrong key (exit 2), with bootstrap recorded as failed', async () => {
    const { code, stdout, stderr } = await cli(['rai-dev-wrongkey', tarballs.good ?? '', '--json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^doctor ssh: ssh rai-dev-wrongkey: the host refused the login: .*Permission denied \(publickey\)\. \(doctor ssh never prompts \(BatchMode=yes\)/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    const report = JSON.parse(stdout) as SshReport;
    expect(report.fault?.code).toBe('SSH_AUTH');
    expect(report.tarballs[0]?.chain[0]).toMatchObject({ step: 'bootstrap', ok: false });
    expect(report.tarballs[0]?.error).toMatch(/Permission denied/);
  }, 60_000);

  it('removes the install with --remove and keeps no secret of the server arguments in the record', async () => {
    const token = 'SeCrEtToKeN1234';
    const { code, stdout } = await cli(['rai-dev', tarballs.good ?? '', '--remove', '--json',
      '--server-arg=--host', '--server-arg=127.0.0.1', '--server-arg=--port', '--server-arg=0', `--server-arg=--connection-token=${token}`]);
    const report = JSON.parse(stdout) as SshReport;
    // With a token, GET / is refused (403): the tunnel check says so, and the token never shows.
    expect(code).toBe(1);
    expect(check(report, 'tunnel').message).toMatch(/GET \/ answered HTTP 403/);
    expect(stdout).not.toContain(token);
    expect((await host.sh(`test -e ${INSTALL} && echo kept || echo removed`)).trim()).toBe('removed');
  }, 180_000);
});
