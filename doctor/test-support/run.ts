import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { CheckId, CheckResult, TarballReport } from '../report-types.js';
import { verify } from '../verify.js';
import type { VerifyOptions } from '../verify-types.js';

export async function verifyOne(file: string, options: VerifyOptions = {}): Promise<TarballReport> {
  const report = await verify([file], options);
  const tarball = report.tarballs[0];
  if (tarball === undefined) throw new Error('verify returned no tarball report');
  return tarball;
}

export function checkOf(tarball: TarballReport, id: CheckId): CheckResult {
  const check = tarball.checks.find((c) => c.id === id);
  if (check === undefined) throw new Error(`no ${id} check in ${JSON.stringify(tarball)}`);
  return check;
}

/** Ids of the failed checks, sorted: tests assert that exactly the intended checks fail. */
export function failedIds(tarball: TarballReport): string[] {
  return tarball.checks.filter((c) => c.ok === false).map((c) => c.id).sort();
}

/** A temp folder for the test file, removed afterwards. */
export function useTempDir(prefix: string): () => string {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `doctor-${prefix}-`));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => dir;
}
