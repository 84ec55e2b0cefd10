import { describe, expect, it } from 'vitest';
import { fixture, readelf } from '../test-support/fixtures.js';
import { TOP, writeServerTarball, type RawEntry } from '../test-support/hostile-tarballs.js';
import { checkOf, failedIds, useTempDir, verifyOne } from '../test-support/run.js';

const dir = useTempDir('layout');

async function layoutOf(name: string, mutate: (entries: RawEntry[]) => RawEntry[] | Promise<RawEntry[]>) {
  const entries = await mutate(await (await import('../test-support/hostile-tarballs.js')).serverEntries());
  const file = await writeServerTarball(dir(), () => entries, name);
  return verifyOne(file, { policy: 'none' });
}

describe('layout', () => {
  it('passes the minimal server', async () => {
    const tarball = await layoutOf('good', (e) => e);
    expect(checkOf(tarball, 'layout').ok).toBe(true);
    expect(failedIds(tarball)).toEqual(['manifest']);
  });

  it('fails without node', async () => {
    const check = checkOf(await layoutOf('no-node', (e) => e.filter((x) => x.path !== `${TOP}/node`)), 'layout');
    expect(check.ok).toBe(false);
    expect(check.details).toContain(`${TOP}/node is missing: the server cannot start without its bundled node`);
  });

  it('fails with a launcher that is not executable', async () => {
    const check = checkOf(
      await layoutOf('launcher-0644', (e) => e.map((x) => (x.path.endsWith('/bin/remote-ai-server') ? { ...x, mode: 0o644 } : x))),
      'layout',
    );
    expect(check.ok).toBe(false);
    expect(check.details?.some((d) => d.includes('bin/remote-ai-server is not executable (mode 644)'))).toBe(true);
  });

  it('fails with a node that is not executable', async () => {
    const check = checkOf(await layoutOf('node-0644', (e) => e.map((x) => (x.path === `${TOP}/node` ? { ...x, mode: 0o644 } : x))), 'layout');
    expect(check.details?.some((d) => d.startsWith(`${TOP}/node is not an executable file`))).toBe(true);
  });

  it('fails with an aarch64 node in an x64 tarball', async () => {
    expect(readelf(['-h'], 'elf/aarch64-hello.so')).toMatch(/Machine:\s+AArch64/);
    const arm = await fixture('elf/aarch64-hello.so');
    const tarball = await layoutOf('arm-node', (e) => e.map((x) => (x.path === `${TOP}/node` ? { ...x, content: arm } : x)));
    const check = checkOf(tarball, 'layout');
    expect(check.ok).toBe(false);
    expect(check.details).toContain(`${TOP}/node is an ELF for aarch64, not x86_64 (target from the file name)`);
    expect(checkOf(tarball, 'platform').ok).toBe(false);
  });

  it('fails with a node that is a shell script', async () => {
    const check = checkOf(
      await layoutOf('script-node', (e) => e.map((x) => (x.path === `${TOP}/node` ? { ...x, content: '#!/bin/sh\nexec node "$@"\n' } : x))),
      'layout',
    );
    expect(check.details?.some((d) => d.startsWith(`${TOP}/node is not a Linux ELF`))).toBe(true);
  });

  it.each(['out/server-main.js', 'product.json'])('fails without %s', async (missing) => {
    const check = checkOf(await layoutOf(`no-${missing.replace('/', '-')}`, (e) => e.filter((x) => x.path !== `${TOP}/${missing}`)), 'layout');
    expect(check.details).toContain(`${TOP}/${missing} is missing`);
  });

  it('fails without extensions/', async () => {
    const check = checkOf(await layoutOf('no-extensions', (e) => e.filter((x) => !x.path.includes('/extensions/'))), 'layout');
    expect(check.details).toContain(`${TOP}/extensions/ is missing`);
  });

  it('fails with two top-level folders', async () => {
    const check = checkOf(await layoutOf('two-tops', (e) => [...e, { path: 'stray/file', content: 'x' }]), 'layout');
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/no single top-level folder/);
  });
});
