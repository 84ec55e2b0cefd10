import type { VerifyReport } from '../report-types.js';

/** The `--json` contract: VerifyReport as is, so CI scripts read the keys of report-types.ts. */
export function renderJson(report: VerifyReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
