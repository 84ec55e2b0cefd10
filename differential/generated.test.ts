/**
 * The generated tricky tarballs, each with the manifest an attacker would write for it: doctor
 * must refuse every one, and whatever it would have passed must install identically everywhere.
 * Some cases also pin down a difference between the readers that the format exists to exclude;
 * they fail only `format`, so without that check doctor would pass a release that an extractor
 * installs differently.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateCases, type CaseClass, type GeneratedCase } from './cases.js';
import { buildSample } from './good-release.js';
import type { GoodRelease } from './release.js';
import { runCase, type CaseOutcome } from './run-case.js';
import { CAN_RUN, SKIP_REASON, describeDifferences, useWorkspace } from './setup.js';

const CLASSES: readonly CaseClass[] = ['reader', 'links', 'spelling', 'modes', 'other'];

/**
 * Differences observed with GNU tar 1.34 and node-tar 7.5: [case, an extractor whose install
 * differs from doctor's view, whether `format` alone refuses it (else another check does too)].
 */
const KNOWN_DIFFERENCES: ReadonlyArray<readonly [string, 'gnu-tar-root' | 'node-tar', 'format only' | 'format and more']> = [
  ['old GNU N entry renames the next one', 'gnu-tar-root', 'format only'],
  ['GNU L long name after a pax path', 'node-tar', 'format only'],
  ['global pax path', 'gnu-tar-root', 'format only'],
  ['two pax headers in a row', 'gnu-tar-root', 'format only'],
  ['GNU.sparse.name renames a member', 'gnu-tar-root', 'format only'],
  ['symlink with a nonzero size', 'gnu-tar-root', 'format only'],
  ['pax size "+N"', 'node-tar', 'format only'],
  ['ustar magic, version not 00, with a prefix', 'node-tar', 'format only'],
  ['signed checksum', 'node-tar', 'format only'],
  ['lone zero block before the last entries', 'gnu-tar-root', 'format only'],
  ['file written through a symlinked folder onto a checked path', 'gnu-tar-root', 'format only'],
  ["'//' in a name", 'gnu-tar-root', 'format and more'],
  ["names starting with './'", 'gnu-tar-root', 'format only'],
  ['world-writable file', 'node-tar', 'format only'],
  // GNU tar as root gives the file to the user the header names (here daemon), node-tar to uid 0.
  ['owner names on a root-owned entry', 'gnu-tar-root', 'format only'],
];

describe.skipIf(!CAN_RUN)(`generated tarballs${CAN_RUN ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  const ws = useWorkspace();
  let release: GoodRelease;
  let cases: GeneratedCase[];
  const outcomes = new Map<string, CaseOutcome>();

  beforeAll(async () => {
    release = await buildSample(join(ws().dir, 'good'));
    cases = generateCases(release, ws().absOutside);
  });

  it('covers every class of issue 8 that concerns the archive', () => {
    expect(new Set(cases.map((c) => c.class))).toEqual(new Set(CLASSES));
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  it.each(CLASSES)('%s: doctor refuses every case, and nothing it passes installs differently', async (cls) => {
    const problems: string[] = [];
    let index = 0;
    for (const c of cases.filter((x) => x.class === cls)) {
      const outcome = await runCase(ws(), release, c.name, c.gz, index++, true);
      outcomes.set(c.name, outcome);
      if (outcome.doctorOk) problems.push(`${c.name}: doctor passed it`);
      for (const v of outcome.violations) problems.push(`${c.name}: ${v}`);
    }
    expect(problems).toEqual([]);
  });

  it('the extractors really differ where the format says they do, and only format stands in the way', async () => {
    // DIFFERENTIAL_REPORT=<file> keeps every case's outcome, to read which readers differed.
    const report = process.env.DIFFERENTIAL_REPORT;
    if (report !== undefined) {
      const rows = cases.map((c) => ({ case: c.name, class: c.class, ...outcomes.get(c.name) }));
      await writeFile(report, JSON.stringify(rows, null, 2));
    }
    for (const [name, installer, refusal] of KNOWN_DIFFERENCES) {
      const outcome = outcomes.get(name);
      expect(outcome, name).toBeDefined();
      expect(outcome?.differences[installer].length, `${name}: ${installer} installed what doctor saw`).toBeGreaterThan(0);
      const failed = outcome?.failed ?? [];
      const why = `${name}: ${describeDifferences(outcome?.differences ?? {})}`;
      if (refusal === 'format only') expect(failed, why).toEqual(['format']);
      else expect(failed.length > 1 && failed.includes('format'), why).toBe(true);
    }
  });
});
