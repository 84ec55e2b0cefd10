import { copyFile, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_RUN } from './container.js';
import { dockerGate, suiteName } from './test-support/docker-gate.js';
import { buildFixtureTarball, COMMIT, removeFixtureTarballs } from './test-support/fixture-server.js';
import type { VerifyReport } from '../report-types.js';
import { verify } from '../verify.js';
import { verifyAndBoot } from './verify-boot.js';

const gate = await dockerGate();

/** `name start+duration` spans of the boot check's timings line, in ms. */
function phases(details: string[] | undefined): Record<string, { start: number; end: number }> {
  const line = details?.find((d) => d.startsWith('timings:')) ?? '';
  const spans: Record<string, { start: number; end: number }> = {};
  for (const m of line.matchAll(/([\w-]+) ([\d.]+)\+([\d.]+)/g)) {
    spans[m[1] ?? ''] = { start: Number(m[2]) * 1000, end: (Number(m[2]) + Number(m[3])) * 1000 };
  }
  return spans;
}

/**
 * The read stopped (`failed` says why): the container's tar got the archive cut short, so the
 * install failed as `tar -xzf` fails on a user's host.
 */
function expectCutInstall(report: VerifyReport, failed: 'limits' | 'integrity'): void {
  const checks = report.tarballs[0]?.checks ?? [];
  expect(checks.find((c) => c.id === failed)).toMatchObject({ ok: false });
  expect(checks.find((c) => c.id === 'boot')).toMatchObject({ ok: false, message: expect.stringMatching(/the container's tar could not install it/) });
}

describe.skipIf(!gate.run)(suiteName('doctor verify --boot: one read for the static checks and the boot', gate), () => {
  const { docker, client, image, node } = gate;
  const mark = `verify-boot-${process.pid}`;
  let tarball = '';
  const dirs: string[] = [];
  beforeAll(async () => {
    tarball = await buildFixtureTarball(node, ['glibc-2.2.5']);
  });
  afterAll(async () => {
    await removeFixtureTarballs();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    expect(await docker.listContainers({ all: true, filters: { label: [`remote-ai.test=${mark}`] } })).toEqual([]);
  });

  it('reports the static checks and the boot checks from one read of the tarball', async () => {
    const alone = await verify([tarball], { policy: 'none' });
    // A copy that is unlinked once the boot's container runs: the open file stays readable, but
    // anything that opened the tarball a second time (a copy into the container, a second scan)
    // would fail on the missing file.
    const dir = await mkdtemp(join(tmpdir(), 'remote-ai-one-read-'));
    dirs.push(dir);
    const copy = join(dir, basename(tarball));
    await copyFile(tarball, copy);
    await copyFile(tarball.replace(/\.tar\.gz$/, '.manifest.json'), copy.replace(/\.tar\.gz$/, '.manifest.json'));
    const label = `${mark}-one-read`;
    const running = verifyAndBoot([copy], { policy: 'none' }, { client, image, labels: { 'remote-ai.test': label } });
    let started = false;
    for (let i = 0; i < 600 && !started; i++) {
      started = (await docker.listContainers({ filters: { label: [`remote-ai.test=${label}`] } })).length > 0;
      if (!started) await new Promise((r) => setTimeout(r, 50));
    }
    expect(started).toBe(true);
    await unlink(copy);
    const { report, setupError } = await running;
    expect(setupError).toBeNull();
    const checks = report.tarballs[0]?.checks ?? [];
    expect(checks.map((c) => c.id)).toEqual([...(alone.tarballs[0]?.checks.map((c) => c.id) ?? []), 'boot', 'native-load', 'prediction']);
    expect(checks.slice(0, -3).map((c) => ({ ...c, message: c.message.replaceAll(copy, tarball) }))).toEqual(alone.tarballs[0]?.checks);
    const boot = checks.find((c) => c.id === 'boot');
    expect(boot).toMatchObject({ ok: true, message: expect.stringContaining(`GET /version answered ${COMMIT}`) });
    expect(checks.find((c) => c.id === 'native-load')).toMatchObject({ ok: true });
    // The prediction ran on verify's scan: every loaded file was compared.
    expect(checks.find((c) => c.id === 'prediction')?.message).toMatch(/matches the loader on all \d+ files/);
    expect(Object.keys(phases(boot?.details))).toEqual(expect.arrayContaining(['verify', 'container', 'install', 'server', 'native', 'probe', 'teardown']));
    expect(report.ok).toBe(true);
  });

  it('does not extract an archive that crossed a limit: the container gets it cut short', async () => {
    const { report } = await verifyAndBoot([tarball], { policy: 'none', limits: { maxTotal: 64 * 1024 } }, { client, image, labels: { 'remote-ai.test': mark } });
    expectCutInstall(report, 'limits');
  });

  it("does not install an archive whose gzip CRC is wrong: as tar -xzf fails on it, the container's tar gets no end blocks", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'remote-ai-bad-crc-'));
    dirs.push(dir);
    const broken = join(dir, basename(tarball));
    const bytes = await readFile(tarball);
    // The gzip trailer's CRC32: every tar byte inflates, the check fails only at the very end.
    bytes[bytes.length - 8] = (bytes[bytes.length - 8] as number) ^ 0xff;
    await writeFile(broken, bytes);
    const { report } = await verifyAndBoot([broken], { policy: 'none' }, { client, image, labels: { 'remote-ai.test': mark } });
    expectCutInstall(report, 'integrity');
  });

  it('keeps the static report and names the fix when the image cannot be built (offline)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'remote-ai-offline-image-'));
    dirs.push(dir);
    // A base no registry here can serve: the build fails as the CentOS 7 one does offline.
    await writeFile(join(dir, 'Dockerfile'), 'FROM remote-ai-test/no-such-base:never\n');
    const { report, setupError } = await verifyAndBoot([tarball], { policy: 'none' }, { client, dockerfileDir: dir });
    expect(setupError?.code).toBe('IMAGE_BUILD');
    expect(setupError?.exitCode).toBe(2);
    expect(setupError?.toLine()).toMatch(/boot in an image the engine already has with --image <ref>.*or build this one where its base image can be pulled: docker build -t remote-ai\/centos7:\w{12} /);
    const checks = report.tarballs[0]?.checks ?? [];
    expect(checks.find((c) => c.id === 'integrity')).toMatchObject({ ok: true });
    expect(checks.at(-1)).toMatchObject({ id: 'boot', ok: false, message: expect.stringMatching(/^not booted: docker build of .* failed: /) });
    expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL_RUN}`] } }).then((l) => l.filter((c) => c.Image.includes('no-such-base')))).toEqual([]);
  });
});
