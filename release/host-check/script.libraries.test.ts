// How the generated check-requirements.sh reads the host's libraries, run for real under dash,
// bash and busybox sh against stand-in libraries found through LD_LIBRARY_PATH: floors compared as
// dotted numbers, a soname and a library file each read once however many requirements ask, the
// versions a library must define, and what --json makes of quotes, backslashes and control
// characters. Expected versions are the strings the stand-ins are built with.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostFloor, HostRequirements } from './requirements.js';
import { hostShells, fakeLibrary, runScript, writeScript, type Shell } from './test-support/releases.js';

const dir = mkdtempSync(join(tmpdir(), 'remote-ai-hostcheck-libs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shells: Shell[] = hostShells(dir);

const CXX = 'libremoteai-fakecxx.so.6';
const GCC = 'libremoteai-fakegcc.so.1';
const LIBC = 'libremoteai-fakec.so.6';
const BANNER_LIBC = 'libremoteai-fakebannerc.so.6';
const Z = 'libremoteai-fakez.so.1';

// Highest GLIBCXX 3.4.19 (not 3.4.9, the highest as text), CXXABI 1.3.10, GCC 10 (not 4.2.0),
// GLIBC 2.17; strings that only look like versions are not.
const libs = join(dir, 'libs');
fakeLibrary(libs, CXX, ['GLIBCXX_3.4.8', 'GLIBCXX_3.4.19', 'GLIBCXX_3.4.9', 'CXXABI_1.3', 'CXXABI_1.3.10', 'CXXABI_TM_1', 'GLIBCXX_3.4.40 tail', 'xGLIBCXX_3.4.99', 'GLIBCXX_3..5']);
fakeLibrary(libs, GCC, ['GCC_3.0', 'GCC_10', 'GCC_4.2.0']);
fakeLibrary(libs, LIBC, ['GLIBC_2.17', 'GLIBC_2.3']);
// glibc 2.31 defines no GLIBC_2.31 node: its banner says 2.31.
fakeLibrary(libs, BANNER_LIBC, ['GLIBC_2.30', 'GNU C Library (Debian GLIBC 2.31-13) stable release version 2.31.']);
fakeLibrary(libs, Z, ['ZLIB_1.2.3.3', 'ZLIB_1.2.9', 'Z version 1.2.11']);

const floor = (family: HostFloor['family'], library: string, version: string): HostFloor => ({
  family,
  library,
  version,
  forcedBy: [{ path: 'x.node', symbols: [`${family.toLowerCase()}_sym`] }],
});

function requirements(floors: HostFloor[], versions: string[] = []): HostRequirements {
  const cause = [{ path: 'x.node', symbols: [] }];
  const needed = [...new Set([...floors.map((f) => f.library), ...(versions.length > 0 ? [Z] : [])])].sort();
  return {
    machine: 'x86_64',
    libc: 'glibc',
    kernel: null,
    floors,
    libraries: needed.map((name) => ({
      name,
      versions: name === Z ? versions.map((version) => ({ version, neededBy: [{ path: 'z.node', symbols: [] }] })) : [],
      neededBy: cause,
    })),
  };
}

let scripts = 0;
const scriptFor = (req: HostRequirements): string => writeScript(join(dir, `script-${++scripts}`), req);

/** Wrappers for od and tr that log each run, ahead of the real tools on PATH. */
function countingTools(name: string): { bin: string; log: string } {
  const bin = join(dir, `count-${name}`);
  const log = join(bin, 'runs.log');
  mkdirSync(bin, { recursive: true });
  for (const tool of ['od', 'tr']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\nprintf '%s\\n' ${tool} >> '${log}'\nPATH=\${PATH#*:}\nexec ${tool} "$@"\n`);
    chmodSync(join(bin, tool), 0o755);
  }
  return { bin, log };
}

describe.each(shells)('check-requirements.sh under $name with stand-in libraries', (shell) => {
  const env = { LD_LIBRARY_PATH: libs };

  it('takes a floor as the highest version the library defines, compared as numbers (3.4.19 > 3.4.9, 10 > 9, 2.17 = 2.17.0)', () => {
    const met = scriptFor(requirements([floor('GLIBC', LIBC, '2.17.0'), floor('GLIBCXX', CXX, '3.4.9'), floor('GCC', GCC, '9')]));
    const pass = runScript(shell, met, ['--json'], env);
    expect(pass.code).toBe(0);
    expect(JSON.parse(pass.stdout)).toMatchObject({ ok: true, host: { GLIBC: '2.17', GLIBCXX: '3.4.19', GCC: '10', [CXX]: join(libs, CXX) }, unmet: [] });

    const unmet = scriptFor(requirements([floor('GLIBC', LIBC, '2.17.1'), floor('GLIBCXX', CXX, '3.4.20'), floor('GCC', GCC, '10.0.1')]));
    expect(runScript(shell, unmet, [], env)).toEqual({
      code: 99,
      stdout:
        'needs GLIBC 2.17.1, this host has 2.17: x.node (glibc_sym)\n' +
        'needs GLIBCXX 3.4.20, this host has 3.4.19: x.node (glibcxx_sym)\n' +
        'needs GCC 10.0.1, this host has 10: x.node (gcc_sym)\n',
      stderr: '',
    });
  });

  it("reads glibc's release banner, and reads a part as awk's x + 0 does (3.4.19rc1 is 3.4.19, 3.4.2e1 is 3.4.20)", () => {
    const run = runScript(shell, scriptFor(requirements([floor('GLIBC', BANNER_LIBC, '2.31'), floor('GLIBCXX', CXX, '3.4.19rc1')])), ['--json'], env);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, host: { GLIBC: '2.31', GLIBCXX: '3.4.19' } });
    const above = runScript(shell, scriptFor(requirements([floor('GLIBC', BANNER_LIBC, '2.32'), floor('GLIBCXX', CXX, '3.4.2e1')])), [], env);
    expect(above.stdout).toBe('needs GLIBC 2.32, this host has 2.31: x.node (glibc_sym)\nneeds GLIBCXX 3.4.2e1, this host has 3.4.19: x.node (glibcxx_sym)\n');
  });

  it('looks a soname up once and reads a library file once, however many requirements ask for them', () => {
    const { bin, log } = countingTools(shell.name.replace(/\W+/g, '-'));
    const req = requirements([floor('GLIBCXX', CXX, '3.4.19'), floor('CXXABI', CXX, '1.3.11')]);
    req.libraries = req.libraries.map((lib) => ({ ...lib, versions: [{ version: 'CXXABI_TM_1', neededBy: [{ path: 'x.node', symbols: [] }] }] }));
    const path = `${bin}:${shell.path ?? process.env['PATH'] ?? '/usr/bin:/bin'}`;
    const run = runScript(shell, scriptFor(req), ['--json'], { ...env, PATH: path });
    expect(run.code).toBe(99);
    expect(JSON.parse(run.stdout)).toMatchObject({
      host: { GLIBCXX: '3.4.19', CXXABI: '1.3.10', [CXX]: join(libs, CXX) },
      unmet: [{ requirement: 'CXXABI', needs: '1.3.11', has: '1.3.10' }],
    });
    // libc.so.6 (require_glibc) and the stand-in (require_library, two floors, one version): one
    // ELF header read each; the stand-in's strings read once (libc.so.6 has no floor here).
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['od', 'od', 'tr']);
  });

  it('refuses a version the library does not define, and passes those it does, version-like or not', () => {
    const script = scriptFor(requirements([], ['ZLIB_1.2.3.3', 'ZLIB_1.2.9', 'ZLIB_9.9', 'Z version 1.2.11']));
    expect(runScript(shell, script, [], env)).toEqual({
      code: 99,
      stdout: `needs ZLIB_9.9 from ${Z}, which this host's ${join(libs, Z)} does not define: z.node\n`,
      stderr: '',
    });
  });

  it('--json escapes quotes and backslashes and drops control characters, each on its own, in paths and causes alike', () => {
    // One odd character per value: the script must see each one, not only a value that holds them all.
    const backslash = join(dir, 'back\\slash');
    const tab = join(dir, 'tab\there');
    const accent = join(dir, 'é');
    fakeLibrary(backslash, GCC, ['GCC_7.0.0']);
    fakeLibrary(tab, LIBC, ['GLIBC_2.17']);
    fakeLibrary(accent, CXX, ['GLIBCXX_3.4.19']);
    const req = requirements([
      floor('GLIBC', LIBC, '2.17'),
      floor('GLIBCXX', CXX, '3.4.19'),
      { ...floor('GCC', GCC, '99'), forcedBy: [{ path: 'node_modules/"a"/x.node', symbols: [] }] },
    ]);
    const ldPath = { LD_LIBRARY_PATH: [backslash, tab, accent].join(':') };
    const run = runScript(shell, scriptFor(req), ['--json'], ldPath);
    expect(run.code).toBe(99);
    const message = 'needs GCC 99, this host has 7.0.0: node_modules/"a"/x.node';
    expect(JSON.parse(run.stdout)).toMatchObject({
      host: { [GCC]: join(backslash, GCC), [LIBC]: join(dir, 'tabhere', LIBC), [CXX]: join(accent, CXX) },
      unmet: [{ requirement: 'GCC', needs: '99', has: '7.0.0', message }],
    });
    expect(runScript(shell, scriptFor(req), [], ldPath).stdout).toBe(`${message}\n`);
  });
});
