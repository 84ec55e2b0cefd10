import { describe, expect, it } from 'vitest';
import { fixture, readelf } from '../test-support/fixtures.js';
import { TOP, writeServerTarball } from '../test-support/hostile-tarballs.js';
import { checkOf, failedIds, useTempDir, verifyOne } from '../test-support/run.js';

const dir = useTempDir('glibc');

async function withLib(name: string, fixturePath: string): Promise<string> {
  const bytes = await fixture(fixturePath);
  return writeServerTarball(dir(), (e) => [...e, { path: `${TOP}/node_modules/x/build/Release/x.node`, mode: 0o755, content: bytes }], name);
}

describe('glibc', () => {
  it('fails a GLIBC_2.28 file under centos7, naming file, requirement, maximum and culprit', async () => {
    const versions = readelf(['-V', '-W'], 'elf/symver-glibc-2.28.so');
    expect(versions).toMatch(/Name: GLIBC_2\.28/);
    expect(readelf(['--dyn-syms', '-W'], 'elf/symver-glibc-2.28.so')).toMatch(/fcntl64@GLIBC_2\.28/);
    const tarball = await verifyOne(await withLib('glibc-2.28', 'elf/symver-glibc-2.28.so'));
    const check = checkOf(tarball, 'glibc');
    expect(check.ok).toBe(false);
    const line = check.details?.find((d) => d.includes('x.node')) ?? '';
    expect(line).toMatch(/2\.28/);
    expect(line).toMatch(/2\.17/);
    expect(line).toMatch(/fcntl64/);
    // The message sums up per file (without the top folder); the details carry the culprits.
    expect(check.message).toMatch(/^1 violation of centos7: \S*x\.node \(GLIBC 2\.28 > 2\.17\)$/);
    // The appended binary has no folder entries before it: not the canonical format either.
    expect(failedIds(tarball)).toEqual(['format', 'glibc', 'manifest']);
  });

  it('passes a GLIBC_2.17 file under centos7', async () => {
    expect(readelf(['-V', '-W'], 'elf/symver-glibc-2.17.so')).toMatch(/Name: GLIBC_2\.17/);
    const check = checkOf(await verifyOne(await withLib('glibc-2.17', 'elf/symver-glibc-2.17.so')), 'glibc');
    expect(check.ok).toBe(true);
    expect(check.message).toBe('2 ELF files satisfy centos7');
  });

  it('passes the same 2.28 file under manylinux_2_28', async () => {
    const check = checkOf(await verifyOne(await withLib('glibc-2.28-m228', 'elf/symver-glibc-2.28.so'), { policy: 'manylinux_2_28' }), 'glibc');
    expect(check.ok).toBe(true);
  });

  it('is skipped with --policy none', async () => {
    const check = checkOf(await verifyOne(await withLib('glibc-none', 'elf/symver-glibc-2.28.so'), { policy: 'none' }), 'glibc');
    expect(check).toEqual({ id: 'glibc', ok: null, message: 'policy none: the glibc gate is off' });
  });

  it('fails a section-stripped 2.28 file that objdump cannot read', async () => {
    const check = checkOf(await verifyOne(await withLib('glibc-2.28-nosections', 'elf/symver-glibc-2.28-nosections.so')), 'glibc');
    expect(check.ok).toBe(false);
    expect(check.details?.join('\n')).toMatch(/fcntl64/);
  });
  it('fails a release with no ELF file ("nothing to check") unless --allow-empty', async () => {
    const tarball = await writeServerTarball(dir(), (e) => e.filter((x) => x.path !== `${TOP}/node`), 'no-elf');
    const check = checkOf(await verifyOne(tarball), 'glibc');
    expect(check.ok).toBe(false);
    expect(check.message).toBe('nothing to check: the release holds no ELF file (pass --allow-empty if that is intended)');
    const allowed = checkOf(await verifyOne(tarball, { allowEmpty: true }), 'glibc');
    expect(allowed).toMatchObject({ ok: true, message: 'no ELF file to check (--allow-empty)' });
  });

  it('refuses a shipped libc.so.6 and judges the addon beside it by the host glibc', async () => {
    const libc = await fixture('elf/fail-closed/ships-libc/libc.so.6');
    const addon = await fixture('elf/fail-closed/ships-libc/addon.node');
    const dirOf = `${TOP}/node_modules/x/build/Release`;
    const tarball = await writeServerTarball(
      dir(),
      (e) => [...e, { path: `${dirOf}/addon.node`, mode: 0o755, content: addon }, { path: `${dirOf}/libc.so.6`, mode: 0o755, content: libc }],
      'ships-libc',
    );
    const check = checkOf(await verifyOne(tarball), 'glibc');
    expect(check.ok).toBe(false);
    expect(check.details?.join('\n')).toMatch(/libc\.so\.6: a copy of glibc's libc\.so\.6/);
    expect(check.details?.join('\n')).toMatch(/addon\.node: needs GLIBC 2\.28, centos7 allows at most 2\.17/);
  });
});
