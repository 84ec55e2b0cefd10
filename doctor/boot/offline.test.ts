/**
 * The boot's edges without an engine: inputs are checked before Docker is asked, and a boot that
 * cannot run keeps the static report. DOCKER_HOST points at a socket that does not exist, so a
 * run that touched Docker first would fail with DOCKER_UNREACHABLE instead of the expected line.
 */
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from '../cli.js';
import { buildGoodTarball } from '../test-support/good-tarball.js';
import { useTempDir } from '../test-support/run.js';
import { checkImageRef } from './image-ref.js';

const dir = useTempDir('boot-offline');
let good = '';
const NO_ENGINE = 'unix:///tmp/remote-ai-no-engine-here.sock';

beforeAll(async () => {
  good = (await buildGoodTarball(join(dir(), 'good'))).tarball;
});

const saved = process.env['DOCKER_HOST'];
beforeEach(() => {
  process.env['DOCKER_HOST'] = NO_ENGINE;
});
afterEach(() => {
  if (saved === undefined) delete process.env['DOCKER_HOST'];
  else process.env['DOCKER_HOST'] = saved;
});

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {} };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe('doctor boot without an engine or with bad input', () => {
  it('names a missing tarball before Docker is asked (exit 2)', async () => {
    const { code, stdout, stderr } = await run(['boot', '/nonexistent.tar.gz']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('doctor boot: /nonexistent.tar.gz: no such file (name a release tarball (.tar.gz) that exists)\n');
  });

  it('refuses a folder as a tarball', async () => {
    const { code, stderr } = await run(['boot', dir()]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/: not a regular file \(/);
  });

  for (const command of [['boot'], ['verify', '--boot']]) {
    it(`doctor ${command.join(' ')}: a malformed --image is a usage error (exit 2), before Docker or any read`, async () => {
      const { code, stdout, stderr } = await run([...command, good, '--image', 'Bad Image Ref!!']);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^doctor (boot|verify): --image "Bad Image Ref!!": not an image reference \(use \[registry\/\]name/);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    });
  }

  it('verify --boot without an engine: the static checks still run and print, boot names the fix, exit 2', async () => {
    const { code, stdout, stderr } = await run(['verify', good, '--boot', '--policy', 'none', '--image', 'remote-ai-test/bullseye:any']);
    expect(code).toBe(2);
    expect(stdout).toMatch(/✓ integrity/);
    expect(stdout).toMatch(/✓ manifest/);
    expect(stdout).toMatch(/✗ boot +not booted: no Docker engine answers at unix:\/\/\/tmp\/remote-ai-no-engine-here\.sock/);
    expect(stderr).toMatch(/^doctor verify: no Docker engine answers at unix:\/\/\/tmp\/remote-ai-no-engine-here\.sock: .* \(start the engine \(dockerd\) or point DOCKER_HOST at one\)\n$/);
  });

  it('verify --boot --json without an engine: the JSON report carries the static checks and the failed boot', async () => {
    const { code, stdout, stderr } = await run(['verify', good, '--boot', '--json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^doctor verify: no Docker engine answers at .*\n$/);
    const report = JSON.parse(stdout) as { ok: boolean; tarballs: { checks: { id: string; ok: boolean | null; message: string }[] }[] };
    const ids = report.tarballs[0]?.checks.map((c) => c.id);
    // Every check verify alone reports, then the boot's.
    const alone = JSON.parse((await run(['verify', good, '--json'])).stdout) as typeof report;
    expect(ids).toEqual([...(alone.tarballs[0]?.checks.map((c) => c.id) ?? []), 'boot']);
    expect(ids).toContain('integrity');
    expect(report.tarballs[0]?.checks.at(-1)).toMatchObject({ id: 'boot', ok: false, message: expect.stringMatching(/^not booted: no Docker engine answers/) });
  });
});

describe('image references (Docker\'s grammar)', () => {
  it.each([
    'remote-ai-test/bullseye:0eab2d03863d',
    'centos:7@sha256:be65f488b7764ad3638f236b7b515b3678369a5124c47b8d32916d6487418ea4',
    'localhost:5000/team/image:v1.2-rc_3',
    'registry.example.com/a/b',
    'ubuntu',
    'a__b/c-d/e--f',
  ])('accepts %s', (ref) => {
    expect(checkImageRef(ref)).toBe(ref);
  });

  it.each(['Bad Image Ref!!', 'Ubuntu', 'a//b', ':tag', 'name:', 'name@sha256:abc', '-lead', 'name:-tag', `${'a'.repeat(256)}:x`])('refuses %j', (ref) => {
    expect(() => checkImageRef(ref)).toThrow(/not an image reference/);
  });
});
