import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { binutilsMaxRequires, readelfDynamic, readelfHeader, readelfVersions } from './test-support/binutils.js';

const tmp = mkdtempSync(join(tmpdir(), 'gate-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {} });
  return { code, stdout, stderr };
}

describe('abi-gate scan', () => {
  it('prints the JSON contract, with numbers binutils agrees with', async () => {
    const file = 'fixtures/elf/cxx-glibcxx-3.4.21.so';
    const { code, stdout } = await cli('scan', file, 'fixtures/formats/macho-arm64.node', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { files: Record<string, unknown>[]; summary: { requires: Record<string, string> } };
    expect(Object.keys(report)).toEqual(['files', 'summary']);
    const [elf, macho] = report.files;
    for (const key of ['path', 'format', 'machine', 'class', 'libc', 'requires', 'culprits', 'needed', 'node']) expect(elf).toHaveProperty(key);
    expect(elf).not.toHaveProperty('error');
    const header = readelfHeader(file);
    const max = binutilsMaxRequires(readelfVersions(file).needs);
    expect(elf).toMatchObject({ path: file, format: 'elf', machine: header.machine, class: header.class, node: null });
    expect(elf?.requires).toMatchObject({ GLIBCXX: max.GLIBCXX, CXXABI: max.CXXABI });
    expect(elf?.needed).toEqual(readelfDynamic(file).needed);
    expect((elf?.culprits as { symbol: string; version: string; library: string }[])[0]).toHaveProperty('library', 'libstdc++.so.6');
    expect(macho).toMatchObject({ format: 'macho', machine: 'arm64' });
    expect(report.summary.requires.GLIBCXX).toBe(max.GLIBCXX);
  });

  it('prints a table and a summary line with the maxima', async () => {
    const { code, stdout } = await cli('scan', 'fixtures/elf/symver-glibc-2.28.so', 'fixtures/elf/glibc-2.34-pthread.so');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PATH\s+FORMAT\s+MACHINE\s+LIBC\s+GLIBC\s+GLIBCXX\s+CXXABI\s+CULPRITS$/);
    expect(lines[1]).toMatch(/symver-glibc-2\.28\.so\s+elf\s+x86_64\s+glibc\s+2\.28\s+-\s+-\s+fcntl64@GLIBC_2\.28$/);
    expect(lines.at(-1)).toBe('2 binaries; needs at most GLIBC 2.34');
  });

  it('still prints the report for an unreadable file, with an error key, and exits 2', async () => {
    const broken = join(tmp, 'broken.so');
    writeFileSync(broken, readFileSync('fixtures/elf/symver-glibc-2.28.so').subarray(0, 100));
    const { code, stdout } = await cli('scan', broken, 'fixtures/elf/symver-glibc-2.17.so', '--json');
    expect(code).toBe(2);
    const report = JSON.parse(stdout) as { files: { path: string; error?: string }[] };
    expect(report.files.map((f) => typeof f.error)).toEqual(['string', 'undefined']);
    expect(report.files[0]?.error).toMatch(/^malformed ELF: /);
  });

  it('exits 2 with one line for a truncated tarball', async () => {
    const tarball = join(tmp, 'cut.tar.gz');
    execFileSync('tar', ['-C', 'fixtures', '-czf', join(tmp, 'whole.tar.gz'), 'elf']);
    const whole = readFileSync(join(tmp, 'whole.tar.gz'));
    writeFileSync(tarball, whole.subarray(0, Math.floor(whole.length / 2)));
    const { code, stdout } = await cli('check', tarball, '--policy', 'centos7');
    expect(code).toBe(2);
    const line = stdout.split('\n').find((l) => l.startsWith(`${tarball}:`)) ?? '';
    expect(line).toMatch(/cannot be checked: .*gzip stream is truncated/);
  });

  it('exits 2 with one line and no stack for usage errors and missing paths', async () => {
    for (const argv of [['scan'], ['scan', 'x', '--bogus'], ['check', 'fixtures/elf'], ['scan', join(tmp, 'missing')], ['check', 'fixtures/elf', '--policy', 'centos9']]) {
      const { code, stderr, stdout } = await cli(...argv);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/^abi-gate (scan|check): /);
    }
  });
});

describe('help and version', () => {
  it('prints help with both commands and the exit codes, and the package version', async () => {
    const help = await cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/abi-gate scan <paths\.\.>/);
    expect(help.stdout).toMatch(/abi-gate check <paths\.\.>/);
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 a check failed, 2 usage error or unreadable input');
    const version = await cli('--version');
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });
});

describe('abi-gate check', () => {
  it('exits 1 and prints each violation with file, requirement, maximum and culprit', async () => {
    const { code, stdout } = await cli('check', 'fixtures/elf/symver-glibc-2.28.so', '--policy', 'centos7');
    expect(code).toBe(1);
    expect(stdout).toContain('fixtures/elf/symver-glibc-2.28.so: needs GLIBC 2.28, centos7 allows at most 2.17 (fcntl64@GLIBC_2.28 from libc.so.6)');
    expect(stdout.trim().split('\n').at(-1)).toBe('centos7: FAILED, 1 violation in 1 of 1 binaries');
  });

  it('exits 0 for files the policy allows, and reports JSON with the violations', async () => {
    expect((await cli('check', 'fixtures/elf/symver-glibc-2.17.so', 'fixtures/elf/runpath-origin', '--policy', 'manylinux2014')).code).toBe(0);
    const { code, stdout } = await cli('check', 'fixtures/elf/needs-libmissing.so', '--policy', 'centos7', '--json');
    expect(code).toBe(1);
    const result = JSON.parse(stdout) as { ok: boolean; policy: string; violations: { kind: string }[]; files: unknown[]; summary: unknown };
    expect(result).toMatchObject({ ok: false, policy: 'centos7', violations: [{ kind: 'library' }] });
    expect(result.files).toHaveLength(1);
  });
});

describe.each(['dist/abi-gate/bin.js', 'dist/abi-gate/abi-gate.cjs'])('the built bin %s', (bin) => {
  it.skipIf(!existsSync(bin))('exits 0, 1 and 2 as a real process (skipped when not built: run `npm run build`)', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    expect(run('check', 'fixtures/elf/symver-glibc-2.17.so', '--policy', 'centos7').status).toBe(0);
    expect(run('check', 'fixtures/elf/symver-glibc-2.28.so', '--policy', 'centos7').status).toBe(1);
    const missing = run('scan', 'no/such/file.node');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe('abi-gate scan: no/such/file.node: no such file or folder (pass an existing file, folder or .tar.gz)\n');
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
  it('exits 1 with "nothing to check" on a folder without binaries, 0 with --allow-empty', async () => {
    const empty = join(tmp, 'no-binaries');
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, 'notes.txt'), 'text\n');
    const failed = await cli('check', empty, '--policy', 'centos7');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^nothing to check: no ELF, Mach-O or PE binary was found \(allow it with --allow-empty\)$/m);
    const allowed = await cli('check', empty, '--policy', 'centos7', '--allow-empty');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/centos7: ok, 0 binaries checked/);
  });
});
