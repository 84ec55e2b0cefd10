import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../abi-gate/index.js';
import { buildGoodTarball } from './test-support/good-tarball.js';
import { writeServerTarball, TOP } from './test-support/hostile-tarballs.js';
import { useTempDir } from './test-support/run.js';
import { exitCodeOf, mapLimited, verify } from './verify.js';

const dir = useTempDir('verify');
let good: string;

beforeAll(async () => {
  good = (await buildGoodTarball(join(dir(), 'good'))).tarball;
});

describe('verify', () => {
  it('passes every check of a good release, with stable ids in order', async () => {
    const report = await verify([good]);
    expect(report.ok).toBe(true);
    expect(exitCodeOf(report)).toBe(0);
    expect(report.tarballs[0]?.checks.map((c) => [c.id, c.ok])).toEqual([
      ['integrity', true],
      ['format', true],
      ['manifest', true],
      ['layout', true],
      ['appledouble', true],
      ['paths', true],
      ['platform', true],
      ['glibc', true],
      ['node-abi', true],
      ['requirements', true],
      ['limits', true],
    ]);
  });

  it('verifies several tarballs, keeps their order, and exits with the worst result', async () => {
    const bad = await writeServerTarball(dir(), (e) => [...e, { path: `${TOP}/._x`, content: 'x' }], 'bad');
    const report = await verify([good, bad, good]);
    expect(report.tarballs.map((t) => [t.file, t.ok])).toEqual([
      [good, true],
      [bad, false],
      [good, true],
    ]);
    expect(report.ok).toBe(false);
    expect(exitCodeOf(report)).toBe(1);
  });

  it('never runs more than the given number of tarballs at once', async () => {
    let running = 0;
    let peak = 0;
    const seen = await mapLimited([1, 2, 3, 4, 5], 2, async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return n * 10;
    });
    expect(seen).toEqual([10, 20, 30, 40, 50]);
    expect(peak).toBe(2);
  });

  it('refuses --manifest with several tarballs, an unknown policy and a bad limit (usage, exit 2)', async () => {
    await expect(verify([good, good], { manifest: 'x.json' })).rejects.toMatchObject({ exitCode: 2, code: 'VERIFY_USAGE' });
    await expect(verify([good], { policy: 'centos6' })).rejects.toBeInstanceOf(ToolError);
    await expect(verify([good], { limits: { maxTotal: -1 } })).rejects.toMatchObject({ exitCode: 2 });
    await expect(verify([])).rejects.toMatchObject({ exitCode: 2 });
  });
});
