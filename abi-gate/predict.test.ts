import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { predictLoad, type Runtime } from './predict.js';
import { compareVersions } from './requirements.js';
import type { ScannedFile, TreeIndex } from './types.js';

// The facts about the fixtures come from binutils, not from abi-gate's scanner: the prediction is
// tested on its own rules here, and against a real loader in doctor/boot/boot.docker.test.ts.
const NATIVE = join(import.meta.dirname, '..', 'fixtures', 'native');

function fromReadelf(root: string, path: string): ScannedFile {
  const text = execFileSync('readelf', ['-dVW', join(root, path)], { encoding: 'utf8' });
  const bracket = (kind: string): string[] =>
    [...text.matchAll(new RegExp(`\\(${kind}\\)\\s+[^\\[]*\\[([^\\]]*)\\]`, 'g'))].map((m) => m[1] ?? '');
  const versionNeeds: ScannedFile['versionNeeds'] = [];
  let library = '';
  for (const line of text.split('\n')) {
    const file = /File: (\S+)\s+Cnt:/.exec(line);
    if (file !== null) library = file[1] ?? '';
    const need = /Name: (\S+)\s+Flags: (\S+)\s+Version: (\d+)/.exec(line);
    if (need !== null) versionNeeds.push({ library, version: need[1] ?? '', weak: need[2] === 'WEAK', index: Number(need[3]) });
  }
  const versionDefs = [...text.matchAll(/Index: \d+\s+Cnt: \d+\s+Name: (\S+)/g)].map((m) => m[1] ?? '');
  return {
    path, format: 'elf', machine: 'x86_64', class: 64, endian: 'little', libc: 'glibc', elfType: 'shared',
    requires: {}, culprits: [], needed: bracket('NEEDED'), soname: bracket('SONAME')[0] ?? null,
    rpath: bracket('RPATH').flatMap((r) => r.split(':')), runpath: bracket('RUNPATH').flatMap((r) => r.split(':')),
    interpreter: null, versionNeeds, versionDefs, sectionHeaders: true, node: null, size: 0, bytesRead: 0,
  };
}

function walk(root: string, dir = root): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(root, path) : [relative(root, path)];
  });
}

const paths = walk(NATIVE).filter((p) => p.endsWith('.node') || p.endsWith('.so') || p.endsWith('/app'));
const files = paths.map((p) => fromReadelf(NATIVE, p));
const tree: TreeIndex = { has: (p) => paths.includes(p) };
const file = (path: string): ScannedFile => files.find((f) => f.path === path) ?? expect.fail(`no fixture ${path}`);
const bullseye: Runtime = { glibc: '2.31', versionDefs: {}, libraries: ['libc.so.6', 'libm.so.6'] };

describe('predictLoad', () => {
  it('fails a file whose own entry needs a newer glibc, naming the version and the file', () => {
    const [p] = predictLoad([file('glibc-2.34-pthread/addon.node')], files, tree, bullseye);
    expect(p?.loads).toBe(false);
    expect(p?.reasons).toEqual(["libc.so.6: version `GLIBC_2.34' not found (required by glibc-2.34-pthread/addon.node)"]);
  });

  it('passes it where the runtime libc defines GLIBC_2.34 (definitions read from this host libc)', () => {
    const libc = execFileSync('sh', ['-c', `readelf -VW "$(ldconfig -p | sed -n 's/^.*libc\\.so\\.6 (libc6,x86-64[^)]*) => //p' | head -n 1)"`], {
      encoding: 'utf8',
    });
    const defs = [...libc.matchAll(/Name: (GLIBC_\S+)/g)].map((m) => m[1] ?? '');
    expect(defs).toContain('GLIBC_2.34');
    const runtime: Runtime = { ...bullseye, glibc: null, versionDefs: { 'libc.so.6': defs } };
    expect(predictLoad([file('glibc-2.34-pthread/addon.node')], files, tree, runtime)[0]?.loads).toBe(true);
  });

  it('passes a file that needs only GLIBC_2.2.5 on glibc 2.17', () => {
    const [p] = predictLoad([file('glibc-2.2.5/addon.node')], files, tree, { ...bullseye, glibc: '2.17' });
    expect(p).toMatchObject({ loads: true, reasons: [] });
  });

  it('follows RUNPATH $ORIGIN into the tree and checks what the shipped library needs', () => {
    const addon = file('origin-helper/addon.node');
    expect(addon.versionNeeds.every((n) => n.version === 'GLIBC_2.2.5')).toBe(true);
    const [p] = predictLoad([addon], files, tree, bullseye);
    expect(p?.loads).toBe(false);
    expect(p?.loadsFromTree).toEqual(['origin-helper/libhelper.so']);
    expect(p?.reasons).toEqual(["libc.so.6: version `GLIBC_2.34' not found (required by origin-helper/libhelper.so)"]);
  });

  it('reports a shipped library the RUNPATH cannot reach as missing', () => {
    const without: TreeIndex = { has: (p) => p !== 'origin-helper/libhelper.so' };
    const [p] = predictLoad([file('origin-helper/addon.node')], files, without, bullseye);
    expect(p?.reasons).toEqual(['libhelper.so: cannot open shared object file (needed by origin-helper/addon.node)']);
  });

  it('fails a NEEDED library neither the tree nor the runtime provides, and passes it once the runtime has it', () => {
    const [p] = predictLoad([file('missing-lib/addon.node')], files, tree, bullseye);
    expect(p?.reasons).toEqual(['libremoteai-missing.so.1: cannot open shared object file (needed by missing-lib/addon.node)']);
    const withLib = { ...bullseye, libraries: [...bullseye.libraries, 'libremoteai-missing.so.1'] };
    expect(predictLoad([file('missing-lib/addon.node')], files, tree, withLib)[0]?.loads).toBe(true);
  });

  it('finds a library through the RPATH its loader inherited, as the loader does', () => {
    // An executable linked on glibc >= 2.34 needs __libc_start_main@GLIBC_2.34: judge it on 2.36.
    const [p] = predictLoad([file('rpath-inherit/app')], files, tree, { ...bullseye, glibc: '2.36' });
    expect(p).toMatchObject({ loads: true, loadsFromTree: ['rpath-inherit/lib/liba.so', 'rpath-inherit/lib/libb.so'] });
  });

  it('does not inherit RUNPATH: the same chain with DT_RUNPATH misses libb.so', () => {
    const [p] = predictLoad([file('runpath-no-inherit/app')], files, tree, { ...bullseye, glibc: '2.36' });
    expect(p?.reasons).toEqual(['libb.so: cannot open shared object file (needed by runpath-no-inherit/lib/liba.so)']);
  });

  it('ignores weak entries, as the loader only warns about them', () => {
    const base = file('glibc-2.34-pthread/addon.node');
    const weak = { ...base, versionNeeds: base.versionNeeds.map((n) => ({ ...n, weak: true })) };
    expect(predictLoad([weak], files, tree, bullseye)[0]?.loads).toBe(true);
  });

  it('orders versions numerically', () => {
    expect(compareVersions('2.2.5', '2.17')).toBe(-1);
    expect(compareVersions('2.34', '2.31')).toBe(1);
    expect(compareVersions('2.31', '2.31.0')).toBe(0);
  });
  it('fails a file the loader refuses, with the loader\'s words, whatever it needs', () => {
    const addon = file('glibc-2.34-pthread/addon.node');
    const refused: ScannedFile = { ...addon, refusals: [{ rule: 'osabi', message: 'ELF file OS ABI invalid (EI_OSABI 9, FreeBSD)' }] };
    const [p] = predictLoad([refused], [refused], tree, { ...bullseye, glibc: '2.36' });
    expect(p).toMatchObject({ loads: false, reasons: ['glibc-2.34-pthread/addon.node: ELF file OS ABI invalid (EI_OSABI 9, FreeBSD)'] });
    const absolute: ScannedFile = { ...addon, refusals: [{ rule: 'abi-version', message: 'ELF file ABI version invalid on glibc before 2.28', since: '2.28' }] };
    expect(predictLoad([absolute], [absolute], tree, { ...bullseye, glibc: '2.17' })[0]?.loads).toBe(false);
    expect(predictLoad([absolute], [absolute], tree, { ...bullseye, glibc: '2.36' })[0]?.loads).toBe(true);
  });
});
