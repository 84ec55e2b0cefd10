import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TOP, writeGzipBomb, writeServerTarball } from '../test-support/hostile-tarballs.js';
import { checkOf, useTempDir, verifyOne } from '../test-support/run.js';
import { readTarballFacts } from '../verify-stream.js';
import { DEFAULT_LIMITS } from '../verify-types.js';

const dir = useTempDir('limits');
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

async function bomb(name: string, declaredSize: number, members: number): Promise<string> {
  await mkdir(join(dir(), name), { recursive: true });
  const file = join(dir(), name, `${TOP}.tar.gz`);
  await writeGzipBomb(file, { declaredSize, members, path: `${TOP}/zeros` });
  return file;
}

describe('limits', () => {
  it('stops a 2 GiB bomb at its header with the default 1 GiB entry limit, reading almost nothing', async () => {
    // 2048 gzip members of 1 MiB of zeros: ~2 MB on disk, 2 GiB inflated.
    const file = await bomb('two-gib', 2 * GiB, 2048);
    expect((await stat(file)).size).toBeLessThan(4 * MiB);
    const facts = await readTarballFacts(file, DEFAULT_LIMITS);
    expect(facts.stopped).toMatchObject({ kind: 'entry', value: 2 * GiB, limit: GiB, entry: `${TOP}/zeros` });
    // The read stopped long before the end of the file: no sha256 of the whole file exists.
    expect(facts.compressedSha256).toBeNull();
    const tarball = await verifyOne(file);
    const check = checkOf(tarball, 'limits');
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/declares 2\.0 GiB: over --max-entry 1\.0 GiB; stopped there/);
    // Whole-archive checks cannot judge a stopped read.
    expect(checkOf(tarball, 'layout').ok).toBeNull();
    expect(checkOf(tarball, 'integrity').ok).toBeNull();
  });

  it('stops at --max-total before inflating the rest', async () => {
    const file = await bomb('total', 900 * MiB, 64);
    const facts = await readTarballFacts(file, { ...DEFAULT_LIMITS, maxTotal: 8 * MiB });
    expect(facts.stopped?.kind).toBe('total');
    expect(facts.decompressedBytes).toBeLessThanOrEqual(8 * MiB + MiB);
    expect(checkOf(await verifyOne(file, { limits: { maxTotal: 8 * MiB } }), 'limits').message).toMatch(/over --max-total 8\.0 MiB/);
  });

  it('stops zeros hidden after the end-of-archive blocks at --max-total', async () => {
    // An empty tar header stream (all zeros) is an end of archive; the rest is 32 MiB of zeros.
    const file = await bomb('after-end', 0, 32);
    const facts = await readTarballFacts(file, { ...DEFAULT_LIMITS, maxTotal: 4 * MiB });
    expect(facts.stopped).toMatchObject({ kind: 'total', limit: 4 * MiB });
    expect(checkOf(await verifyOne(file, { limits: { maxTotal: 4 * MiB } }), 'limits').message).toMatch(/^stopped: .*more than 4194304 uncompressed bytes/);
  });

  it('stops at --max-entries', async () => {
    const file = await writeServerTarball(dir(), undefined, 'entries');
    const tarball = await verifyOne(file, { policy: 'none', limits: { maxEntries: 3 } });
    const check = checkOf(tarball, 'limits');
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/^stopped at 4 entries at entry .*: over --max-entries 3/);
  });

  it('stops a single entry over --max-entry', async () => {
    const file = await writeServerTarball(dir(), undefined, 'entry');
    // Under node's 13.3 KiB, over every other entry (check-requirements.sh is the next biggest).
    const check = checkOf(await verifyOne(file, { policy: 'none', limits: { maxEntry: 13 * 1024 } }), 'limits');
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/^entry .*\/node declares 13\.3 KiB: over --max-entry 13\.0 KiB/);
  });

  it('passes a normal server under the defaults', async () => {
    const check = checkOf(await verifyOne(await writeServerTarball(dir(), undefined, 'ok'), { policy: 'none' }), 'limits');
    expect(check.ok).toBe(true);
  });
});
