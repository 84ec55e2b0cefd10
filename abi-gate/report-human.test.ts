import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { fixHints } from './hints.js';
import { summaryLine } from './report-human.js';
import { cxxfilt, demangleText, readable } from './demangle.js';

const ELF = join(import.meta.dirname, '..', 'fixtures', 'elf');
const CXX = join(ELF, 'cxx-glibcxx-3.4.30.so');
const WAIT = '_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE';
/** The independent answer: binutils' own c++filt, one name per call. */
const WAIT_READABLE = execFileSync('c++filt', [WAIT], { encoding: 'utf8' }).trim();

const work = mkdtempSync(join(tmpdir(), 'abi-gate-human-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A PATH whose c++filt logs each run to `log`, then runs the real one. */
function countingPath(): { path: string; log: string } {
  const bin = mkdtempSync(join(work, 'bin-'));
  const log = join(bin, 'calls.log');
  writeFileSync(join(bin, 'c++filt'), `#!/bin/sh\necho run >> '${log}'\nexec /usr/bin/c++filt "$@"\n`);
  chmodSync(join(bin, 'c++filt'), 0o755);
  writeFileSync(log, '');
  return { path: `${bin}:/usr/bin:/bin`, log };
}

async function cli(argv: string[], PATH: string): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const code = await main(argv, { stdout: (t) => void (stdout += t), stderr: () => undefined, env: { PATH } });
  return { code, stdout };
}

const calls = (log: string): number => readFileSync(log, 'utf8').split('\n').filter(Boolean).length;

describe('readable culprits', () => {
  it('check: demangles C++ culprits with ONE c++filt run for the whole report', async () => {
    const { path, log } = countingPath();
    const files = [CXX, join(ELF, 'cxx-glibcxx-3.4.21.so'), join(ELF, 'cxx-old-abi-gcc12.so')];
    const { code, stdout } = await cli(['check', '--policy', 'centos7', ...files], path);
    expect(code).toBe(1);
    expect(WAIT_READABLE).toBe('std::condition_variable::wait(std::unique_lock<std::mutex>&)');
    expect(stdout).toContain(`${WAIT_READABLE}@GLIBCXX_3.4.30`);
    expect(stdout).not.toContain(WAIT);
    expect(calls(log)).toBe(1);
  });

  it('scan: one c++filt run; without c++filt on PATH names stay mangled', async () => {
    const { path, log } = countingPath();
    const withFilt = await cli(['scan', CXX, join(ELF, 'cxx-glibcxx-3.4.21.so')], path);
    expect(calls(log)).toBe(1);
    expect(withFilt.stdout).toMatch(/std::/);
    const empty = mkdtempSync(join(work, 'nobin-'));
    const without = await cli(['check', '--policy', 'centos7', CXX], empty);
    expect(without.stdout).toContain(`${WAIT}@GLIBCXX_3.4.30`);
    expect(without.stdout).not.toContain(WAIT_READABLE);
  });

  it('--json keeps symbol and adds demangled (null for C names and without c++filt)', async () => {
    const { path } = countingPath();
    const { stdout } = await cli(['check', '--policy', 'centos7', '--json', CXX, join(ELF, 'symver-glibc-2.28.so')], path);
    const body = JSON.parse(stdout) as { violations: { culprits: { symbol: string | null; demangled: string | null }[] }[]; files: { culprits: { symbol: string | null; demangled: string | null }[] }[] };
    const culprits = [...body.violations, ...body.files].flatMap((v) => v.culprits);
    const wait = culprits.find((c) => c.symbol === WAIT);
    expect(wait?.demangled).toBe(WAIT_READABLE);
    expect(culprits.find((c) => c.symbol === 'fcntl64')?.demangled).toBeNull();
    for (const c of culprits) expect(c).toHaveProperty('demangled');
    const empty = mkdtempSync(join(work, 'nobin-'));
    const bare = JSON.parse((await cli(['scan', '--json', CXX], empty)).stdout) as { files: { culprits: { symbol: string; demangled: string | null }[] }[] };
    expect(bare.files[0]?.culprits.find((c) => c.symbol === WAIT)?.demangled).toBeNull();
  });
});

describe('standard typedefs in human output', () => {
  const FIND = '_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE12find_last_ofEPKcmm';
  const FLUSH = '_ZNSo5flushEv';

  it('puts std::string and friends back, keeping __cxx11; the demangler (and so --json) keeps c++filt text', () => {
    // The long spelling comes from binutils' c++filt itself, not from this code.
    const full = execFileSync('c++filt', [FIND], { encoding: 'utf8' }).trim();
    expect(full).toBe('std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::find_last_of(char const*, unsigned long, unsigned long) const');
    const names = cxxfilt().demangle([FIND, FLUSH]);
    expect(names.get(FIND)).toBe(full);
    expect(readable(FIND, names)).toBe('std::__cxx11::string::find_last_of(char const*, unsigned long, unsigned long) const');
    expect(readable(FLUSH, names)).toBe('std::ostream::flush()');
    expect(demangleText(`node: needs GLIBCXX 3.4.21 (${FIND}@GLIBCXX_3.4.21 from libstdc++.so.6)`, names)).toBe(
      'node: needs GLIBCXX 3.4.21 (std::__cxx11::string::find_last_of(char const*, unsigned long, unsigned long) const@GLIBCXX_3.4.21 from libstdc++.so.6)',
    );
  });
});

describe('layout', () => {
  it('a scan table fits 120 columns: long paths cut in the middle, whole in --json', async () => {
    const deep = join(work, 'node_modules', '@scope', 'a-package-with-a-rather-long-name', 'prebuilds', 'linux-x64', 'build', 'Release');
    mkdirSync(deep, { recursive: true });
    const file = join(deep, 'the-native-addon-with-a-long-name.node');
    copyFileSync(CXX, file);
    const { stdout } = await cli(['scan', file, join(ELF, 'glibc-2.34-pthread.so')], '/nonexistent');
    const lines = stdout.trimEnd().split('\n');
    for (const line of lines.slice(0, -1)) expect([...line].length).toBeLessThanOrEqual(120);
    expect(file.length).toBeGreaterThan(120);
    expect(lines[1]).toMatch(/^\/tmp\/\S*…\S*-long-name\.node /);
    const json = JSON.parse((await cli(['scan', '--json', file], '/nonexistent')).stdout) as { files: { path: string }[] };
    expect(json.files[0]?.path).toBe(file);
  });

  it('the summary names every family it mentions', () => {
    const line = summaryLine({ files: [], summary: { requires: { ZLIB: '1.2.9', GLIBC: '2.28', OPENSSL: '3.0.0', GCC: '4.2.0', GLIBCXX: '3.4.25' }, minKernel: null } });
    expect(line).toBe('0 binaries; needs at most GLIBC 2.28, GLIBCXX 3.4.25, GCC 4.2.0, OPENSSL 3.0.0, ZLIB 1.2.9');
    expect(line).not.toMatch(/other|see --json/);
  });
});

describe('fix hints', () => {
  const hit = (symbol: string | null, version: string): string[] => fixHints([{ symbol, version, library: 'libc.so.6' }]).map((h) => h.id);

  it('each row of the table fires for its culprit and not for a near miss', () => {
    expect(hit('fcntl64', 'GLIBC_2.28')).toEqual(['node-fcntl64']);
    expect(hit('fcntl', 'GLIBC_2.2.5')).toEqual([]);
    expect(hit('pthread_create', 'GLIBC_2.34')).toEqual(['glibc-2.34-libpthread']);
    expect(hit('dlopen', 'GLIBC_2.34')).toEqual(['glibc-2.34-libpthread']);
    expect(hit('pthread_create', 'GLIBC_2.2.5')).toEqual([]);
    expect(hit(null, 'GLIBC_ABI_DT_RELR')).toEqual(['dt-relr']);
    expect(hit('_ZNSt6thread6_StateD2Ev', 'GLIBCXX_3.4.22')).toEqual(['new-libstdcxx']);
    expect(hit('_ZNSt6thread6_StateD2Ev', 'GLIBCXX_3.4.30')).toEqual(['new-libstdcxx']);
    expect(hit('_ZSt9terminatev', 'GLIBCXX_3.4.19')).toEqual([]);
    expect(hit('stat64', 'GLIBC_2.33')).toEqual(['glibc-2.33-stat']);
    expect(hit('fstat64', 'GLIBC_2.33')).toEqual(['glibc-2.33-stat']);
    expect(hit('stat64', 'GLIBC_2.2.5')).toEqual([]);
  });

  it('check prints each hint once with its culprits, and --json carries them with their source', async () => {
    const files = ['symver-glibc-2.28.so', 'glibc-2.34-pthread.so', 'relr-dt-relr.so', 'cxx-glibcxx-3.4.30.so'].map((f) => join(ELF, f));
    const human = (await cli(['check', '--policy', 'centos7', ...files], '/usr/bin:/bin')).stdout;
    expect(human).toContain('hint (fcntl64@GLIBC_2.28): official node >= 18');
    expect(human).toContain('hint (pthread_create@GLIBC_2.34, pthread_join@GLIBC_2.34): built on glibc >= 2.34');
    expect(human).toContain('hint (GLIBC_ABI_DT_RELR): linked with -z pack-relative-relocs');
    expect(human).toContain(`hint (${WAIT_READABLE}@GLIBCXX_3.4.30): built with a newer GCC`);
    expect(human.match(/^hint /gm)).toHaveLength(4);
    const json = JSON.parse((await cli(['check', '--policy', 'centos7', '--json', ...files], '/usr/bin:/bin')).stdout) as { hints: { id: string; source: string; culprits: string[] }[] };
    expect(json.hints.map((h) => h.id)).toEqual(['node-fcntl64', 'glibc-2.34-libpthread', 'dt-relr', 'new-libstdcxx']);
    for (const h of json.hints) expect(h.source.length).toBeGreaterThan(10);
    const passing = JSON.parse((await cli(['check', '--policy', 'centos7', '--json', join(ELF, 'symver-glibc-2.17.so')], '/usr/bin:/bin')).stdout) as { hints: unknown[] };
    expect(passing.hints).toEqual([]);
  });
});
