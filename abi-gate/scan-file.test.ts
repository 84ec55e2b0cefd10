import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanBuffer, scanFile } from './scan-file.js';
import {
  binutilsMaxRequires,
  readelfDynamic,
  readelfDynSyms,
  readelfHeader,
  readelfInterpreter,
  readelfVersions,
} from './test-support/binutils.js';
import { ELF_FIXTURES, elfFilesUnder, FIXTURES } from './test-support/fixtures.js';
import { stripSectionHeaders } from './test-support/strip-sections.js';
import type { ScanEntry, ScannedFile } from './types.js';

const tmp = mkdtempSync(join(tmpdir(), 'abi-gate-scan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function scanned(entry: ScanEntry | null): ScannedFile {
  if (entry === null) throw new Error('not a binary');
  if ('error' in entry && entry.error !== undefined) throw new Error(entry.error);
  return entry as ScannedFile;
}

/** Release markers glibc added without symbols (glibc NEWS 2.36: GLIBC_ABI_DT_RELR). */
const MARKER_RELEASES: Record<string, string> = { GLIBC_ABI_DT_RELR: '2.36' };

/** Compares a scan with what binutils says about `binutilsPath` (the unstripped original). */
function expectMatchesBinutils(entry: ScannedFile, binutilsPath: string): void {
  const header = readelfHeader(binutilsPath);
  expect(entry.format).toBe('elf');
  expect(entry.class).toBe(header.class);
  expect(entry.endian).toBe(header.endian);
  expect(entry.machine).toBe(header.machine);
  expect(entry.elfType).toBe({ DYN: 'shared', EXEC: 'executable', REL: 'relocatable', CORE: 'core' }[header.type] ?? 'other');

  const dyn = readelfDynamic(binutilsPath);
  expect(entry.needed).toEqual(dyn.needed);
  expect(entry.soname).toBe(dyn.soname);
  expect(entry.rpath).toEqual(dyn.rpath);
  expect(entry.runpath).toEqual(dyn.runpath);
  expect(entry.interpreter).toBe(readelfInterpreter(binutilsPath));

  const versions = readelfVersions(binutilsPath);
  expect(entry.versionNeeds).toEqual(versions.needs);
  expect(entry.versionDefs).toEqual(versions.defs);

  const expected = binutilsMaxRequires(versions.needs);
  for (const n of versions.needs) {
    const release = MARKER_RELEASES[n.version];
    if (release !== undefined && !n.weak) {
      const current = expected.GLIBC;
      expected.GLIBC = current === undefined ? release : (execFileSync('sort', ['-V'], { input: `${current}\n${release}\n`, encoding: 'utf8' }).trim().split('\n')[1] ?? release);
    }
  }
  expect(entry.requires).toEqual(expected);

  // Culprits: the undefined symbols readelf shows at each family's highest version.
  const syms = readelfDynSyms(binutilsPath);
  const maxNames = new Set(
    versions.needs.filter((n) => !n.weak && entry.culprits.some((c) => c.version === n.version)).map((n) => n.version),
  );
  for (const [family, version] of Object.entries(entry.requires)) {
    const names = versions.needs.filter((n) => !n.weak && (n.version === `${family}_${version}` || MARKER_RELEASES[n.version] === version));
    expect(names.length, `${family} ${version} has a vernaux entry`).toBeGreaterThan(0);
    for (const n of names) expect(maxNames.has(n.version)).toBe(true);
  }
  const expectedCulprits = new Set<string>();
  for (const name of maxNames) {
    for (const s of syms) if (s.undefined && s.version === name) expectedCulprits.add(`${s.name}@${name}`);
  }
  const actual = new Set(entry.culprits.filter((c) => c.symbol !== null).map((c) => `${c.symbol}@${c.version}`));
  expect(actual).toEqual(expectedCulprits);
  for (const c of entry.culprits.filter((x) => x.symbol === null)) {
    expect(syms.some((s) => s.undefined && s.version === c.version), `${c.version} carries no symbol`).toBe(false);
  }
  for (const c of entry.culprits) {
    expect(versions.needs.some((n) => n.version === c.version && n.library === c.library)).toBe(true);
  }
}

// fail-closed/refused/ holds files the loader refuses: the scanner reports the refusal and reads
// no table, while binutils still decodes them (check-fail-closed.test.ts covers them).
const fixtures = existsSync(ELF_FIXTURES) ? elfFilesUnder(ELF_FIXTURES).filter((f) => !f.startsWith('fail-closed/refused/')) : [];
const withSections = fixtures.filter((f) => !f.includes('nosections'));

describe('scanFile on the ELF fixtures, checked against binutils', () => {
  it('finds the fixtures', () => {
    expect(withSections.length).toBeGreaterThan(10);
  });

  for (const name of withSections) {
    it(name, () => {
      const path = join(ELF_FIXTURES, name);
      const entry = scanned(scanFile(path));
      expect(entry.sectionHeaders).toBe(readelfHeader(path).sectionHeaders > 0);
      expect(entry.size).toBe(readFileSync(path).length);
      expect(entry.bytesRead).toBeLessThanOrEqual(entry.size);
      if (name === 'static.bin') {
        expect(entry.libc).toBe('static');
        expect(readelfDynamic(path).needed).toEqual([]);
        return;
      }
      expectMatchesBinutils(entry, path);
    });
  }
});

describe('section-stripped files give the original answer', () => {
  const dynamicFixtures = withSections.filter((f) => f !== 'static.bin');
  for (const name of dynamicFixtures) {
    it(`${name} with e_shoff/e_shnum/e_shstrndx zeroed`, () => {
      const path = join(ELF_FIXTURES, name);
      const original = scanned(scanFile(path));
      const stripped = scanned(scanBuffer(stripSectionHeaders(readFileSync(path)), path));
      expect(stripped.sectionHeaders).toBe(false);
      expect({ ...stripped, sectionHeaders: true, bytesRead: 0 }).toEqual({ ...original, bytesRead: 0 });
    });
  }

  for (const name of fixtures.filter((f) => f.includes('nosections'))) {
    const originalName = name.replace('-nosections', '');
    it(`${name} (committed copy) matches binutils on ${originalName}`, () => {
      const entry = scanned(scanFile(join(ELF_FIXTURES, name)));
      expect(entry.sectionHeaders).toBe(false);
      expect(readelfVersions(join(ELF_FIXTURES, name)).needs).toEqual([]);
      expectMatchesBinutils(entry, join(ELF_FIXTURES, originalName));
    });
  }

  const hasObjcopy = (() => {
    try {
      execFileSync('llvm-objcopy', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!hasObjcopy)('llvm-objcopy --strip-sections output (skipped without llvm-objcopy)', () => {
    const path = join(ELF_FIXTURES, 'symver-glibc-2.28.so');
    const out = join(tmp, 'strip-sections.so');
    execFileSync('llvm-objcopy', ['--strip-sections', path, out]);
    const entry = scanned(scanFile(out));
    expect(entry.sectionHeaders).toBe(false);
    expectMatchesBinutils(entry, path);
  });
});

describe('facts the fixtures were built for', () => {
  const scan = (name: string): ScannedFile => scanned(scanFile(join(ELF_FIXTURES, name)));

  it('GLIBC_ABI_DT_RELR is a version-only requirement of glibc 2.36 with a null culprit', () => {
    const e = scan('relr-dt-relr.so');
    expect(e.requires.GLIBC).toBe('2.36');
    expect(e.culprits).toEqual([{ symbol: null, version: 'GLIBC_ABI_DT_RELR', library: 'libc.so.6' }]);
  });

  it.skipIf(!existsSync(join(ELF_FIXTURES, 'weak-glibc-2.26.so')))('a weak entry is reported and never gates (skipped when fixtures/elf/weak-glibc-2.26.so is missing: fixtures/elf/build.sh)', () => {
    const e = scan('weak-glibc-2.26.so');
    expect(e.versionNeeds.filter((n) => n.weak).map((n) => n.version)).toEqual(['GLIBC_2.26']);
    expect(e.requires.GLIBC).toBe('2.2.5');
  });

  it('GLIBC_PRIVATE stays in versionNeeds and out of requires, with the symbols using it as culprits', () => {
    const e = scan('glibc-private.so');
    expect(e.versionNeeds.map((n) => n.version)).toContain('GLIBC_PRIVATE');
    expect(e.requires.GLIBC).toBeUndefined();
    const used = readelfDynSyms(join(ELF_FIXTURES, 'glibc-private.so')).filter((s) => s.undefined && s.version === 'GLIBC_PRIVATE');
    expect(used.map((s) => s.name)).toContain('__libc_enable_secure');
    const culprits = e.culprits.filter((c) => c.version === 'GLIBC_PRIVATE');
    expect(culprits).toEqual(used.map((s) => ({ symbol: s.name, version: 'GLIBC_PRIVATE', library: 'ld-linux-x86-64.so.2' })));
  });

  it('libc flavours', () => {
    expect(scan('musl-hello.bin').libc).toBe('musl');
    expect(scan('musl-hello.so').libc).toBe('musl');
    expect(scan('static.bin').libc).toBe('static');
    expect(scan('exe-glibc.bin').libc).toBe('glibc');
    expect(scan('symver-glibc-2.28.so').libc).toBe('glibc');
    expect(scan('runpath-origin/lib/libfoo.so.1').libc).toBe('none');
  });

  it('node addons: N-API versus NODE_MODULE_VERSION, from the exports readelf lists', () => {
    for (const [name, node] of [
      ['napi-addon.node', { napi: true, moduleVersion: null, registration: 'export' }],
      ['napi-version-addon.node', { napi: true, moduleVersion: null, registration: 'export' }],
      ['abi-addon-v115.node', { napi: false, moduleVersion: 115, registration: 'export' }],
      ['symver-glibc-2.28.so', null],
    ] as const) {
      const defined = readelfDynSyms(join(ELF_FIXTURES, name)).filter((s) => !s.undefined).map((s) => s.name);
      const e = scan(name);
      expect(e.node).toEqual(node);
      if (node?.napi === true) expect(defined).toContain('napi_register_module_v1');
      if (node?.moduleVersion != null) expect(defined).toContain(`node_register_module_v${node.moduleVersion}`);
    }
  });
});

describe('system and cross libraries (verdefs, ELF32, big endian)', () => {
  const candidates = [
    '/usr/bin/ls',
    '/usr/lib/x86_64-linux-gnu/libc.so.6',
    '/usr/lib/x86_64-linux-gnu/libstdc++.so.6',
    '/usr/arm-linux-gnueabihf/lib/libc.so.6',
    '/usr/s390x-linux-gnu/lib/libc.so.6',
    '/usr/aarch64-linux-gnu/lib/libc.so.6',
    '/usr/i686-linux-gnu/lib/libc.so.6',
  ];
  for (const path of candidates) {
    it.skipIf(!existsSync(path))(`${path} (skipped when not installed)`, () => {
      const entry = scanned(scanFile(path));
      expectMatchesBinutils(entry, path);
      const stripped = scanned(scanBuffer(stripSectionHeaders(readFileSync(path)), path));
      expect({ ...stripped, sectionHeaders: true, bytesRead: 0 }).toEqual({ ...entry, bytesRead: 0 });
    });
  }
});

describe('reading only what is needed', () => {
  it('the running node binary is scanned reading under 10 MB', () => {
    const entry = scanned(scanFile(process.execPath));
    expect(entry.size).toBeGreaterThan(20 * 1024 * 1024);
    expect(entry.bytesRead).toBeLessThan(10 * 1024 * 1024);
    const versions = readelfVersions(process.execPath);
    expect(entry.versionNeeds).toEqual(versions.needs);
    expect(entry.requires).toEqual(binutilsMaxRequires(versions.needs));
  });
});

describe('sources and non-ELF files', () => {
  it('a tar-like list of chunks gives the same entry as the file', () => {
    const path = join(ELF_FIXTURES, 'cxx-glibcxx-3.4.21.so');
    const data = readFileSync(path);
    const chunks = [];
    for (let at = 0; at < data.length; at += 333) chunks.push(data.subarray(at, at + 333));
    expect(scanBuffer(chunks, path)).toEqual(scanFile(path));
  });

  it('Mach-O and PE are reported with their machine, never as ELF', () => {
    expect(scanFile(join(FIXTURES, 'formats', 'macho-universal.node'))).toMatchObject({
      format: 'macho',
      machine: 'universal',
      slices: ['x86_64', 'arm64'],
      libc: 'none',
      requires: {},
      node: null,
    });
    expect(scanFile(join(FIXTURES, 'formats', 'pe-x64.node'))).toMatchObject({ format: 'pe', machine: 'x86_64', class: 64, libc: 'none' });
    expect(scanFile(join(FIXTURES, 'formats', 'java-class.node'))).toBeNull();
  });

  it('a text file is not a binary; a missing file or a folder is an error entry', () => {
    const text = join(tmp, 'readme.txt');
    writeFileSync(text, 'hello\n');
    expect(scanFile(text)).toBeNull();
    expect(scanFile(join(tmp, 'missing.so'))).toEqual({ path: join(tmp, 'missing.so'), format: null, error: expect.stringMatching(/ENOENT/) });
    expect(scanFile(tmp)).toMatchObject({ format: null, error: expect.stringMatching(/not a regular file/) });
  });
});
