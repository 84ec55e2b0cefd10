import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkFiles } from './check.js';
import { loadPolicy } from './policy.js';
import { scanPaths } from './scan.js';
import { binutilsMaxRequires, readelfDynSyms, readelfVersions } from './test-support/binutils.js';
import type { PolicyCheckResult } from './types.js';

const ELF = 'fixtures/elf';
const tmp = mkdtempSync(join(tmpdir(), 'gate-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function check(paths: string[], policy = 'centos7'): Promise<PolicyCheckResult> {
  const report = await scanPaths(paths);
  return checkFiles(report.files, loadPolicy(policy), report.tree);
}

describe('checkFiles: version rules', () => {
  it('fails a file needing GLIBC 2.28 under centos7, naming the culprit binutils sees', async () => {
    const file = `${ELF}/symver-glibc-2.28.so`;
    const glibc = binutilsMaxRequires(readelfVersions(file).needs).GLIBC;
    const culprit = readelfDynSyms(file).find((s) => s.version === `GLIBC_${glibc}`);
    const result = await check([file]);
    expect(result.ok).toBe(false);
    expect(result.violations).toHaveLength(1);
    const [v] = result.violations;
    expect(v).toMatchObject({ kind: 'version', family: 'GLIBC', required: glibc, allowed: '2.17' });
    expect(v?.message).toBe(
      `${file}: needs GLIBC ${glibc}, centos7 allows at most 2.17 (${culprit?.name}@GLIBC_${glibc} from libc.so.6)`,
    );
  });

  it('passes the same kind of file at GLIBC 2.17, and the 2.28 one under manylinux_2_28', async () => {
    const file = `${ELF}/symver-glibc-2.17.so`;
    expect(binutilsMaxRequires(readelfVersions(file).needs).GLIBC).toBe('2.17');
    expect((await check([file])).ok).toBe(true);
    expect((await check([`${ELF}/symver-glibc-2.28.so`], 'manylinux_2_28')).ok).toBe(true);
  });

  it('fails GLIBCXX and CXXABI beyond CentOS 7, also with section headers stripped', async () => {
    for (const file of [`${ELF}/cxx-glibcxx-3.4.21.so`, `${ELF}/cxx-glibcxx-3.4.21-nosections.so`]) {
      const result = await check([file]);
      const families = result.violations.map((v) => `${v.family} ${v.required} <= ${v.allowed}`).sort();
      expect(families).toEqual(['CXXABI 1.3.9 <= 1.3.7', 'GLIBCXX 3.4.21 <= 3.4.19']);
    }
    const max = binutilsMaxRequires(readelfVersions(`${ELF}/cxx-glibcxx-3.4.21.so`).needs);
    expect([max.GLIBCXX, max.CXXABI]).toEqual(['3.4.21', '1.3.9']);
    expect((await check([`${ELF}/cxx-glibcxx-3.4.19.so`])).ok).toBe(true);
  });

  it('fails a version-only GLIBC_ABI_DT_RELR entry that no symbol carries', async () => {
    expect(readelfVersions(`${ELF}/relr-dt-relr.so`).needs.map((n) => n.version)).toContain('GLIBC_ABI_DT_RELR');
    const result = await check([`${ELF}/relr-dt-relr.so`], 'manylinux_2_28');
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]?.message).toContain('needs GLIBC_ABI_DT_RELR (GLIBC 2.36), manylinux_2_28 allows at most 2.28');
  });

  it('fails GLIBC_PRIVATE under every policy, naming the symbol binutils sees', async () => {
    const file = `${ELF}/glibc-private.so`;
    const symbol = readelfDynSyms(file).find((s) => s.undefined && s.version === 'GLIBC_PRIVATE')?.name;
    expect(symbol).toBe('__libc_enable_secure');
    for (const policy of ['centos7', 'manylinux_2_28']) {
      const result = await check([file], policy);
      expect(result.violations.map((v) => v.kind)).toEqual(['private']);
      expect(result.violations[0]?.message).toBe(
        `${file}: needs GLIBC_PRIVATE from ld-linux-x86-64.so.2, internal to one glibc build; no policy allows it (${symbol}@GLIBC_PRIVATE from ld-linux-x86-64.so.2)`,
      );
      expect(result.violations[0]?.culprits).toEqual([{ symbol, version: 'GLIBC_PRIVATE', library: 'ld-linux-x86-64.so.2' }]);
    }
  });

  it('turns a weak entry into a warning, never a violation', async () => {
    const weak = readelfVersions(`${ELF}/weak-glibc-2.26.so`).needs.find((n) => n.version === 'GLIBC_2.26');
    expect(weak?.weak).toBe(true);
    const result = await check([`${ELF}/weak-glibc-2.26.so`]);
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => `${w.kind} ${w.required}`)).toEqual(['version 2.26']);
  });
});

describe('checkFiles: libraries, libc, platform, unreadable', () => {
  it('fails a NEEDED library that is neither on the list nor shipped', async () => {
    const result = await check([`${ELF}/needs-libmissing.so`]);
    expect(result.violations).toMatchObject([{ kind: 'library', library: 'libmissing.so.9' }]);
    expect(result.violations[0]?.message).toMatch(/needs libmissing\.so\.9, which centos7 hosts do not provide and the tree does not ship/);
  });

  it('accepts a library shipped beside the file through RUNPATH $ORIGIN, in a folder and as one file', async () => {
    expect((await check([`${ELF}/runpath-origin`])).ok).toBe(true);
    expect((await check([`${ELF}/runpath-origin/needs-libfoo.so`])).ok).toBe(true);
  });

  it('fails the same file when its library is not where RUNPATH points', async () => {
    const dir = join(tmp, 'moved');
    mkdirSync(join(dir, 'elsewhere'), { recursive: true });
    copyFileSync(`${ELF}/runpath-origin/needs-libfoo.so`, join(dir, 'needs-libfoo.so'));
    copyFileSync(`${ELF}/runpath-origin/lib/libfoo.so.1`, join(dir, 'elsewhere', 'libfoo.so.1'));
    const result = await check([dir]);
    expect(result.violations).toMatchObject([{ kind: 'library', library: 'libfoo.so.1' }]);
    expect(result.violations[0]?.message).toContain('RUNPATH $ORIGIN/lib');
  });

  it('judges versions needed from a shipped library by that library\'s own definitions', async () => {
    // No fixture pairs RUNPATH with a versioned shipped library, so the scan result of the real
    // runpath-origin pair gets one vernaux entry for libfoo added.
    const report = await scanPaths([`${ELF}/runpath-origin`]);
    const files = report.files.map((f) =>
      f.path.endsWith('needs-libfoo.so') && f.versionNeeds !== undefined
        ? { ...f, versionNeeds: [...f.versionNeeds, { library: 'libfoo.so.1', version: 'LIBFOO_2.0', weak: false, index: 9 }] }
        : f,
    );
    const withDefs = (defs: string[]) =>
      files.map((f) => (f.path.endsWith('libfoo.so.1') && f.versionDefs !== undefined ? { ...f, versionDefs: defs } : f));
    // The real libfoo defines no versions (readelf -V: none), which the loader accepts with a warning.
    expect(readelfVersions(`${ELF}/runpath-origin/lib/libfoo.so.1`).defs).toEqual([]);
    expect(checkFiles(files, loadPolicy('centos7'), report.tree).ok).toBe(true);
    const result = checkFiles(withDefs(['libfoo.so.1', 'LIBFOO_1.0']), loadPolicy('centos7'), report.tree);
    expect(result.violations).toMatchObject([{ kind: 'version', library: 'libfoo.so.1' }]);
    expect(result.violations[0]?.message).toContain('needs LIBFOO 2.0, the shipped libfoo.so.1 does not define it');
    expect(checkFiles(withDefs(['libfoo.so.1', 'LIBFOO_2.0']), loadPolicy('centos7'), report.tree).ok).toBe(true);
  });

  it('fails a musl build under a glibc policy', async () => {
    const result = await check([`${ELF}/musl-hello.bin`]);
    expect(result.violations.map((v) => v.kind)).toContain('libc');
  });

  it('fails Mach-O and PE files and machines the policy does not cover', async () => {
    const result = await check(['fixtures/formats/macho-x86_64.node', 'fixtures/formats/pe-x64.node']);
    expect(result.violations.map((v) => v.kind)).toEqual(['platform', 'platform']);
    const policy = join(tmp, 'x86-only.json');
    const centos = JSON.parse(readFileSync('abi-gate/policies/centos7.json', 'utf8')) as { arches: Record<string, unknown> };
    writeFileSync(policy, JSON.stringify({ ...centos, $schema: undefined, name: 'x86-only', arches: { x86_64: centos.arches.x86_64 } }));
    const s390 = await check([`${ELF}/s390x-hello.so`], policy);
    expect(s390.violations).toMatchObject([{ kind: 'platform' }]);
    expect(s390.violations[0]?.message).toContain('built for s390x, x86-only covers x86_64');
    expect((await check([`${ELF}/s390x-hello.so`])).ok).toBe(true);
  });

  it('fails a file that could not be read, and still judges the others in its folder', async () => {
    const dir = join(tmp, 'mixed');
    mkdirSync(dir, { recursive: true });
    copyFileSync(`${ELF}/symver-glibc-2.28.so`, join(dir, 'good.so'));
    writeFileSync(join(dir, 'broken.so'), readFileSync(`${ELF}/symver-glibc-2.28.so`).subarray(0, 200));
    writeFileSync(join(dir, 'readme.txt'), 'not a binary');
    const report = await scanPaths([dir]);
    expect(report.files.map((f) => f.path)).toEqual([join(dir, 'broken.so'), join(dir, 'good.so')]);
    expect(report.files[0]).toHaveProperty('error');
    expect(report.files[1]?.requires?.GLIBC).toBe('2.28');
    const result = checkFiles(report.files, loadPolicy('centos7'), report.tree);
    expect(result.violations.map((v) => v.kind).sort()).toEqual(['unreadable', 'version']);
  });
});
