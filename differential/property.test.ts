/**
 * The seeded property: random mutations of the header fields of a good packager release (and
 * structural ones: extended headers, zero blocks, repeated or dropped entries), each with the
 * manifest an attacker would write for it. For every case, doctor verify fails, or GNU tar (root
 * and nobody) and node-tar all install exactly the file list doctor verified and nothing else.
 * A few hundred cases by default, DIFFERENTIAL_CASES under CI (.ci/run sets thousands);
 * DIFFERENTIAL_SEED replays a run.
 */
import { gunzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSample, buildStretched } from './good-release.js';
import { headerOffsets, mutate, random } from './mutate.js';
import type { GoodRelease } from './release.js';
import { runCase } from './run-case.js';
import { CAN_RUN, SKIP_REASON, useWorkspace } from './setup.js';

const COUNT = Number(process.env.DIFFERENTIAL_CASES ?? (process.env.CI === 'true' ? 2000 : 300));
const SEED = Number(process.env.DIFFERENTIAL_SEED ?? 20261127);

describe.skipIf(!CAN_RUN)(`seeded header mutations${CAN_RUN ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  const ws = useWorkspace();
  const releases: Array<{ release: GoodRelease; tar: Buffer; offsets: number[] }> = [];

  beforeAll(async () => {
    const dir = ws().dir;
    for (const release of [await buildSample(join(dir, 'sample')), await buildStretched(join(dir, 'stretched'), join(dir, 'stretched-out'))]) {
      const tar = gunzipSync(await readFile(release.tarball));
      releases.push({ release, tar, offsets: headerOffsets(tar) });
    }
  });

  it(`${COUNT} cases from seed ${SEED}: doctor fails, or every extractor installs what it verified`, async () => {
    expect(Number.isSafeInteger(COUNT) && COUNT > 0, 'DIFFERENTIAL_CASES must be a positive integer').toBe(true);
    const rand = random(SEED);
    const violations: string[] = [];
    let passed = 0;
    for (let i = 0; i < COUNT; i++) {
      const { release, tar, offsets } = releases[i % releases.length] as (typeof releases)[number];
      const mutation = mutate(tar, offsets, rand);
      const outcome = await runCase(ws(), release, mutation.what, mutation.gz, i, false);
      if (outcome.doctorOk) passed++;
      for (const v of outcome.violations) violations.push(`case ${i} (seed ${SEED}; ${mutation.what}): ${v}`);
    }
    // One line for the record: how many cases reached the extractors.
    console.info(`differential: ${COUNT} mutated cases from seed ${SEED}, ${passed} passed doctor and were installed three ways`);
    expect(violations).toEqual([]);
    // Mutations that keep the format (an mtime, a mode within the allowed ones) must reach the
    // extractors, or the property would hold vacuously.
    expect(passed).toBeGreaterThan(0);
  }, 60 * 60 * 1000);
});
