import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkFiles } from './check.js';
import { hostFamilies, isGlibcLibrary } from './host-libraries.js';
import { loadPolicy } from './policy.js';
import { scanBuffer } from './scan-file.js';
import { scanPaths } from './scan.js';
import { readelfDynamic, readelfDynSyms, readelfVersions } from './test-support/binutils.js';
import { buildElf } from './test-support/elf-builder.js';
import type { PolicyCheckResult, ScannedFile } from './types.js';

/** The rules that make abi-gate fail closed (issue 8, item 3), on the fixtures of fixtures/elf/fail-closed/. */

const FC = 'fixtures/elf/fail-closed';
const tmp = mkdtempSync(join(tmpdir(), 'gate-fail-closed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function check(paths: string[], policy = 'centos7', allowEmpty = false): Promise<PolicyCheckResult> {
  const report = await scanPaths(paths);
  return checkFiles(report.files, loadPolicy(policy), report.tree, { allowEmpty });
}

const kinds = (r: PolicyCheckResult): string[] => r.violations.map((v) => v.kind).sort();

/** elf-builder output needing GLIBC_2.2.5 and defining its base version (the builder writes empty version tables otherwise). */
const built = (spec: Parameters<typeof buildElf>[0], path = 'a.so'): ScannedFile =>
  scanBuffer(
    buildElf({
      needed: ['libc.so.6'],
      verneed: [{ file: 'libc.so.6', entries: [{ name: 'GLIBC_2.2.5', index: 2 }] }],
      verdef: [{ name: 'a.so', index: 1, base: true }],
      ...spec,
    }).buf,
    path,
  ) as ScannedFile;

describe('a file the loader refuses is a violation with its reason', () => {
  it.each(readdirSync(join(FC, 'refused')).sort())('refused/%s fails every policy as "loader"', async (name) => {
    for (const policy of ['centos7', 'manylinux_2_28']) {
      const result = await check([join(FC, 'refused', name)], policy);
      expect(kinds(result)).toEqual(['loader']);
      expect(result.violations[0]?.message).toMatch(new RegExp(`^${FC}/refused/${name}: glibc's loader refuses it: `));
    }
  });

  it('the file they were made from passes', async () => {
    expect((await check(['fixtures/elf/napi-addon.node'])).ok).toBe(true);
  });

  it('hidden PT_DYNAMIC: the sections readelf still lists are named, and the file is not "static"', async () => {
    const path = join(FC, 'refused', 'hidden-dynamic.node');
    expect(readelfVersions(path).needs.length).toBeGreaterThan(0);
    const result = await check([path]);
    expect(result.violations[0]?.message).toMatch(/object file has no dynamic section \(no PT_DYNAMIC, though its section headers describe \.dynamic, \.dynsym, \.gnu\.version_r, \.gnu\.version/);
    const scan = await scanPaths([path]);
    expect((scan.files[0] as ScannedFile).libc).toBe('none');
  });

  it('abi-gate scan lists the refusal under the table', async () => {
    const { formatScanTable } = await import('./report-human.js');
    const text = formatScanTable(await scanPaths([join(FC, 'refused', 'osabi.node')]));
    expect(text).toMatch(/^refused by the loader: \S+osabi\.node: ELF file OS ABI invalid \(EI_OSABI 9, FreeBSD;/m);
    expect(formatScanTable(await scanPaths(['fixtures/elf/napi-addon.node']))).not.toMatch(/refused/);
  });

  it('a real static executable is no refusal', async () => {
    const scan = await scanPaths(['fixtures/elf/static.bin']);
    expect(scan.files[0]).toMatchObject({ libc: 'static', refusals: [] });
  });

  it('EI_ABIVERSION 3 (GNU ABSOLUTE) fails a policy below glibc 2.28 only', () => {
    const elf = buildElf({
      needed: ['libc.so.6'],
      verneed: [{ file: 'libc.so.6', entries: [{ name: 'GLIBC_2.2.5', index: 2 }] }],
      verdef: [{ name: 'abs.so', index: 1, base: true }],
    });
    elf.buf[7] = 3;
    elf.buf[8] = 3;
    const entry = scanBuffer(elf.buf, 'abs.so') as ScannedFile;
    expect(entry.refusals).toMatchObject([{ rule: 'abi-version', since: '2.28' }]);
    const centos = checkFiles([entry], loadPolicy('centos7'), { has: () => false });
    expect(centos.violations.map((v) => v.message)).toEqual([
      "abs.so: glibc's loader refuses it: ELF file ABI version invalid on glibc before 2.28 (EI_ABIVERSION 3, the GNU ABSOLUTE ABI, glibc elf/dl-load.c) (centos7 allows glibc 2.17)",
    ]);
    expect(checkFiles([entry], loadPolicy('manylinux_2_28'), { has: () => false }).ok).toBe(true);
  });
});

describe('a version in a family its host library does not define', () => {
  it('the families come from the real libraries (readelf -V of this machine\'s copies)', () => {
    for (const [soname, path] of [
      ['libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6'],
      ['libstdc++.so.6', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6'],
      ['libgcc_s.so.1', '/lib/x86_64-linux-gnu/libgcc_s.so.1'],
    ] as const) {
      if (!existsSync(path)) continue;
      const families = [...new Set(readelfVersions(path).defs.map((d) => d.slice(0, d.indexOf('_'))))].sort();
      expect(hostFamilies(soname, 'x86_64'), soname).toEqual(families);
    }
    expect(hostFamilies('libX11.so.6', 'x86_64')).toBeNull();
  });

  it.each([
    ['FOO_1.0', 'family'],
    ['GLIBCXX_3.4', 'family'],
    ['GLIBC_9.0', 'version'],
  ])('needs-%s.so fails centos7 and manylinux_2_28 (%s)', async (version, kind) => {
    const path = join(FC, `needs-${version}.so`);
    expect(readelfVersions(path).needs.map((n) => `${n.library} ${n.version}`)).toEqual([`libc.so.6 ${version}`]);
    for (const policy of ['centos7', 'manylinux_2_28']) {
      const result = await check([path], policy);
      expect(kinds(result)).toEqual([kind]);
    }
    if (kind === 'family') {
      expect((await check([path])).violations[0]?.message).toBe(
        `${path}: needs ${version} from libc.so.6, a version family no libc.so.6 defines (it defines GLIBC), so no host loads it (fixture_symbol@${version} from libc.so.6)`,
      );
    }
  });

  it('judges families per arch: libgcc_s defines GLIBC_2.0 on i386, not on x86_64', () => {
    expect(hostFamilies('libgcc_s.so.1', 'i386')).toContain('GLIBC');
    expect(hostFamilies('libgcc_s.so.1', 'x86_64')).not.toContain('GLIBC');
    const spec = (machine: number) => ({
      class: machine === 3 ? (32 as const) : (64 as const),
      machine,
      needed: ['libgcc_s.so.1'],
      verneed: [{ file: 'libgcc_s.so.1', entries: [{ name: 'GLIBC_2.0', index: 2 }] }],
    });
    const x64 = built(spec(62), 'x64.so');
    const i386 = built(spec(3), 'i386.so');
    expect(checkFiles([x64], loadPolicy('centos7'), { has: () => false }).violations.map((v) => v.kind)).toEqual(['family']);
    expect(checkFiles([i386], loadPolicy('centos7'), { has: () => false }).ok).toBe(true);
  });
});

describe("glibc's own libraries never satisfy a need, and shipping one is a violation", () => {
  it('the glibc sonames are those the glibc packages install', () => {
    for (const soname of ['libc.so.6', 'ld-linux-x86-64.so.2', 'libpthread.so.0', 'libdl.so.2', 'librt.so.1', 'libm.so.6', 'libresolv.so.2']) {
      expect(isGlibcLibrary(soname), soname).toBe(true);
    }
    expect(isGlibcLibrary('libstdc++.so.6')).toBe(false);
    const packaged = execFileSync('dpkg', ['-L', 'libc6'], { encoding: 'utf8' }).split('\n').filter((f) => /^\/lib\/x86_64-linux-gnu\/[^/]+\.so[.\d]*$/.test(f));
    for (const file of packaged) expect(isGlibcLibrary(file.split('/').pop() ?? ''), file).toBe(true);
  });

  it('a shipped libc.so.6 is refused, and the addon beside it is judged by the system libc', async () => {
    expect(readelfDynamic(join(FC, 'ships-libc', 'addon.node')).runpath).toEqual(['$ORIGIN']);
    const result = await check([join(FC, 'ships-libc')]);
    expect(kinds(result)).toEqual(['glibc-library', 'version']);
    const version = result.violations.find((v) => v.kind === 'version');
    expect(version?.message).toMatch(/addon\.node: needs GLIBC 2\.28, centos7 allows at most 2\.17 \(fcntl64@GLIBC_2\.28/);
    // The stub defines FIXTURE versions only: had it been used, the message would say so.
    expect(version?.message).not.toMatch(/shipped/);
  });

  it.each(['a text file', 'a dangling link'])('%s named libc.so.6 beside the addon changes nothing', async (what) => {
    const dir = join(tmp, what.replace(/\W+/g, '-'));
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(FC, 'ships-libc', 'addon.node'), join(dir, 'addon.node'));
    if (what === 'a text file') writeFileSync(join(dir, 'libc.so.6'), 'GLIBC_2.28 GLIBC_2.34\n');
    else symlinkSync('nowhere/libc.so.6', join(dir, 'libc.so.6'));
    expect(kinds(await check([dir]))).toEqual(['version']);
    expect((await check([dir], 'manylinux_2_28')).ok).toBe(true);
  });
});

describe('RUNPATH and RPATH', () => {
  it.each([
    ['runpath-tmp.node', 'RUNPATH', '/tmp'],
    ['rpath-opt.node', 'RPATH', '/opt/lib'],
  ])('%s: an absolute %s entry is a violation', async (name, tag, entry) => {
    const path = join(FC, name);
    const dyn = readelfDynamic(path);
    expect(tag === 'RUNPATH' ? dyn.runpath : dyn.rpath).toEqual([entry]);
    const result = await check([path], 'manylinux_2_28');
    expect(kinds(result)).toEqual(['search-path']);
    expect(result.violations[0]?.message).toBe(
      `${path}: ${tag} entry '${entry}' is an absolute folder, searched before the host's own: whoever can write there chooses the libraries it loads; use $ORIGIN-relative entries`,
    );
  });

  it('a relative entry (the working directory) is a violation; $ORIGIN inside the tree is not', () => {
    const judge = (runpath: string) => checkFiles([built({ runpath }, 'pkg/a.so')], loadPolicy('centos7'), { has: () => false });
    expect(judge('lib').violations[0]?.message).toMatch(/RUNPATH entry 'lib' is a folder relative to the working directory/);
    expect(judge('$ORIGIN/lib:${ORIGIN}').ok).toBe(true);
    expect(judge('$ORIGIN/lib:${ORIGIN}').warnings).toEqual([]);
  });

  it('an $ORIGIN entry that climbs out of the scanned tree is a warning, not a violation', async () => {
    const root = join(FC, 'climbs', 'pkg');
    const result = await check([root], 'manylinux_2_28');
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => w.message)).toEqual([
      `${root}/lib/addon.node: RUNPATH entry '$ORIGIN/../../outside/lib' leads out of the scanned tree; the loader searches there first`,
    ]);
    // Scanned from one level up, the same entry stays inside: no warning.
    expect((await check([join(FC, 'climbs')], 'manylinux_2_28')).warnings).toEqual([]);
  });

  it('in a release (archive paths), leaving the top folder is already climbing out', () => {
    const file = built({ runpath: '$ORIGIN/..' }, 'top/a.node');
    const judge = (archive: boolean) => checkFiles([file], loadPolicy('centos7'), { has: () => false }, { archive }).warnings.map((w) => w.message);
    expect(judge(true)).toEqual([`top/a.node: RUNPATH entry '$ORIGIN/..' leads out of the release's top folder top/; the loader searches there first`]);
    expect(judge(false)).toEqual([]);
  });
});

describe('classic addons are addons', () => {
  it('NODE_MODULE: imports node_module_register, ABI-specific, NODE_MODULE_VERSION unknown', async () => {
    const path = join(FC, 'classic-node-module.node');
    const syms = readelfDynSyms(path);
    expect(syms.find((s) => s.name === 'node_module_register')?.undefined).toBe(true);
    expect(syms.some((s) => !s.undefined && /^(napi|node)_register_module/.test(s.name))).toBe(false);
    const scan = await scanPaths([path]);
    expect((scan.files[0] as ScannedFile).node).toEqual({ napi: false, moduleVersion: null, registration: 'node_module_register' });
  });

  it('NAPI_MODULE before node 10: imports napi_module_register, N-API', async () => {
    const path = join(FC, 'classic-napi-module.node');
    expect(readelfDynSyms(path).find((s) => s.name === 'napi_module_register')?.undefined).toBe(true);
    const scan = await scanPaths([path]);
    expect((scan.files[0] as ScannedFile).node).toEqual({ napi: true, moduleVersion: null, registration: 'napi_module_register' });
  });
});

describe('nothing checked is a failure', () => {
  it('fails a folder with no binary unless allowed', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, 'README.md'), 'no binaries here\n');
    const result = await check([empty]);
    expect(result.ok).toBe(false);
    expect(result.violations).toEqual([
      { path: '', kind: 'empty', message: 'nothing to check: no ELF, Mach-O or PE binary was found (allow it with --allow-empty)', culprits: [] },
    ]);
    expect((await check([empty], 'centos7', true)).ok).toBe(true);
    expect((await check(['fixtures/elf/symver-glibc-2.17.so'])).ok).toBe(true);
  });
});
