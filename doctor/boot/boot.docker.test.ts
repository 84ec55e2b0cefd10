import { copyFile, stat, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isToolError } from '../../abi-gate/index.js';
import { bootTarball, type BootOptions, type BootResult } from './boot.js';
import { LABEL_RUN, newRunId } from './container.js';
import { scanInstall } from './scan.js';
import { dockerGate, suiteName } from './test-support/docker-gate.js';
import { removeFixtureTarballs, buildFixtureTarball, COMMIT } from './test-support/fixture-server.js';

const gate = await dockerGate();

describe.skipIf(!gate.run)(suiteName('doctor boot in the Debian bullseye image (glibc 2.31)', gate), () => {
  const { docker, image, node } = gate;
  const runs: string[] = [];
  const tarballs: Record<string, string> = {};

  afterAll(removeFixtureTarballs);
  beforeAll(async () => {
    tarballs.new = await buildFixtureTarball(node, ['glibc-2.34-pthread']);
    tarballs.old = await buildFixtureTarball(node, ['glibc-2.2.5']);
    tarballs.mixed = await buildFixtureTarball(node, ['origin-helper', 'missing-lib', 'runpath-no-inherit', 'abort-on-load']);
  });

  const boot = async (tarball: string, options: BootOptions = {}): Promise<BootResult> => {
    const runId = newRunId();
    runs.push(runId);
    return bootTarball(tarball, { docker, image, runId, startTimeoutMs: 30_000, ...options });
  };
  const check = (result: BootResult, id: string) => result.checks.find((c) => c.id === id) ?? expect.fail(`no ${id} check`);

  afterEach(async () => {
    // Cleanup is part of the contract: whatever the outcome, no container of these runs is left.
    const left = await docker.listContainers({ all: true, filters: { label: runs.map((r) => `${LABEL_RUN}=${r}`) } });
    for (const run of runs) {
      expect(left.filter((c) => c.Labels[LABEL_RUN] === run)).toEqual([]);
    }
  });

  it('boots a server whose addon needs at most GLIBC 2.2.5: it answers /version with its commit and everything loads', async () => {
    const result = await boot(tarballs.old ?? '');
    expect(check(result, 'boot')).toMatchObject({ ok: true });
    expect(result.probe).toEqual({ ok: true, status: 200, body: COMMIT });
    expect(check(result, 'native-load')).toMatchObject({ ok: true });
    expect(check(result, 'prediction')).toMatchObject({ ok: true });
    expect(result.runtime?.glibc).toBe('2.31');
    expect(result.runtime?.glibcxx).toBe('3.4.28');
    const addon = result.native.find((v) => v.path.endsWith('remote-ai-fixture/build/Release/addon.node'));
    expect(addon).toMatchObject({ via: 'dlopen', ok: true });
    expect(result.native.find((v) => v.path === 'node')).toMatchObject({ via: 'ld.so --list', ok: true });
  });

  it("fails native-load for the addon built here (GLIBC_2.34) with the loader's own words, and the prediction agrees", async () => {
    const result = await boot(tarballs.new ?? '');
    expect(check(result, 'boot')).toMatchObject({ ok: true });
    const native = check(result, 'native-load');
    expect(native.ok).toBe(false);
    expect(native.details?.join('\n')).toMatch(/addon\.node \(dlopen\): .*libc\.so\.6: version `GLIBC_2\.34' not found/);
    const prediction = check(result, 'prediction');
    expect(prediction.ok).toBe(true);
    expect(result.predictions.find((p) => p.path.endsWith('addon.node'))).toMatchObject({ loads: false });
  });

  it('judges shipped libraries through RUNPATH, missing libraries, RUNPATH not being inherited and a crashing addon', async () => {
    const result = await boot(tarballs.mixed ?? '');
    const verdict = (suffix: string) => result.native.find((v) => v.path.endsWith(suffix)) ?? expect.fail(`no verdict for ${suffix}`);
    expect(verdict('helper.node').messages.join(' ')).toMatch(/version `GLIBC_2\.34' not found \(required by .*libhelper\.so\)/);
    expect(verdict('missing.node').messages.join(' ')).toMatch(/libremoteai-missing\.so\.1: cannot open shared object file/);
    expect(verdict('tools/chain/app').messages.join(' ')).toMatch(/libb\.so: cannot open shared object file|GLIBC_2\.34/);
    expect(verdict('crash.node')).toMatchObject({ ok: false, messages: ['the bundled node died while loading it'] });
    expect(check(result, 'native-load').ok).toBe(false);
    // The crashed addon was loaded fine by the loader: the prediction (a loader's view) agrees.
    expect(verdict('crash.node').loaderOk).toBe(true);
    expect(check(result, 'prediction')).toMatchObject({ ok: true });
    expect(result.predictions.filter((p) => !p.loads).map((p) => p.path).sort()).toEqual([
      'node_modules/remote-ai-helper/build/Release/helper.node',
      'node_modules/remote-ai-helper/build/Release/libhelper.so',
      'node_modules/remote-ai-missing/build/Release/missing.node',
      'tools/chain/app',
      // On its own liba.so has no search path at all: libb.so is found only through app's RPATH.
      'tools/chain/lib/liba.so',
    ]);
  });

  it('fails prediction loudly when the static scan misses a requirement the loader enforces', async () => {
    const tarball = tarballs.new ?? '';
    const scan = await scanInstall(tarball);
    // A scanner that lost the addon's version needs (as section-only readers do on stripped files).
    const blind = { ...scan, files: scan.files.map((f) => (f.path.endsWith('addon.node') ? { ...f, versionNeeds: [] } : f)) };
    const result = await boot(tarball, { scan: blind });
    const prediction = check(result, 'prediction');
    expect(prediction.ok).toBe(false);
    expect(prediction.message).toMatch(/^THE GATE IS WRONG/);
    expect(prediction.details?.[0]).toMatch(/^!! node_modules\/remote-ai-fixture\/build\/Release\/addon\.node: abi-gate predicted it loads, but the loader said: .*GLIBC_2\.34/);
  });

  it('fails boot with the last lines of the server log when the server exits', async () => {
    const result = await boot(tarballs.old ?? '', { serverArgs: ['--host', '127.0.0.1', '--port', 'none'] });
    const bootCheck = check(result, 'boot');
    expect(bootCheck.ok).toBe(false);
    expect(bootCheck.message).toMatch(/exited \(code 1\) before "Extension host agent listening/);
    expect(bootCheck.details).toContain('Invalid port: none');
  });

  it('fails boot when the listening line never comes within the timeout', async () => {
    const result = await boot(tarballs.old ?? '', { serverArgs: ['--socket-path', '/tmp/server.sock'], startTimeoutMs: 2_000 });
    const bootCheck = check(result, 'boot');
    expect(bootCheck.ok).toBe(false);
    expect(bootCheck.message).toMatch(/printed no "Extension host agent listening on <port>"/);
  });

  it('throws one line and removes the container when the container tar cannot extract the tarball', async () => {
    const dir = dirname(tarballs.old ?? '');
    const broken = join(dir, 'remote-ai-server-linux-x64-broken.tar.gz');
    await copyFile(tarballs.old ?? '', broken);
    await truncate(broken, Math.floor((await stat(broken)).size / 2));
    const error: unknown = await boot(broken, { scan: { files: [], tree: { has: () => false } } }).catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe('BOOT_INSTALL');
    expect(isToolError(error) && error.exitCode).toBe(1);
    expect(String((error as Error).message)).toMatch(/remote-ai-server-linux-x64-broken\.tar\.gz: the container's tar could not install it: /);
  });
});
