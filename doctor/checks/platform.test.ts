import { describe, expect, it } from 'vitest';
import { fixture, readelf } from '../test-support/fixtures.js';
import { TOP, writeServerTarball } from '../test-support/hostile-tarballs.js';
import { checkOf, failedIds, useTempDir, verifyOne } from '../test-support/run.js';

const dir = useTempDir('platform');

describe('platform', () => {
  const cases: [string, string, RegExp][] = [
    ['Mach-O', 'formats/macho-x86_64.node', /node_modules\/pty\/pty\.node: Mach-O \(macOS\) binary for x86_64/],
    ['universal Mach-O', 'formats/macho-universal.node', /Mach-O \(macOS\) binary/],
    ['PE', 'formats/pe-x64.node', /node_modules\/pty\/pty\.node: PE \(Windows\) binary/],
    ['aarch64 ELF', 'elf/aarch64-hello.so', /node_modules\/pty\/pty\.node: ELF for aarch64, not x86_64/],
    ['s390x ELF', 'elf/s390x-hello.so', /ELF for s390x, not x86_64/],
  ];

  it.each(cases)('fails on a %s file in an x64 tarball', async (name, path, detail) => {
    const bytes = await fixture(path);
    const file = await writeServerTarball(
      dir(),
      (entries) => [...entries, { path: `${TOP}/node_modules/pty/pty.node`, mode: 0o755, content: bytes }],
      name.replace(/\W+/g, '-'),
    );
    const tarball = await verifyOne(file, { policy: 'none' });
    const check = checkOf(tarball, 'platform');
    expect(check.ok).toBe(false);
    expect(check.details?.some((d) => detail.test(d)), JSON.stringify(check.details)).toBe(true);
    // The appended binary has no folder entries before it: not the canonical format either.
    expect(failedIds(tarball)).toEqual(['format', 'manifest', 'platform']);
  });

  it('passes Linux x86_64 ELF files, the machine binutils reports', async () => {
    expect(readelf(['-h'], 'elf/symver-glibc-2.17.so')).toMatch(/Machine:\s+Advanced Micro Devices X86-64/);
    const bytes = await fixture('elf/symver-glibc-2.17.so');
    const file = await writeServerTarball(dir(), (e) => [...e, { path: `${TOP}/lib/ok.so`, content: bytes }], 'x64-ok');
    const check = checkOf(await verifyOne(file, { policy: 'none' }), 'platform');
    expect(check.ok).toBe(true);
    expect(check.message).toMatch(/^2 native binaries, all Linux ELF x86_64/);
  });
});
