import type { CheckResult } from '../report-types.js';
import type { CheckContext } from '../verify-types.js';
import { checkAppleDouble } from './appledouble.js';
import { checkGlibc } from './glibc.js';
import { checkFormat } from './format.js';
import { checkIntegrity } from './integrity.js';
import { checkLayout } from './layout.js';
import { checkLimits } from './limits.js';
import { checkManifest } from './manifest.js';
import { checkNodeAbi } from './node-abi.js';
import { checkPaths } from './paths.js';
import { checkPlatform } from './platform.js';
import { checkRequirements } from './requirements.js';

/** Every static check in report order; ids are a contract (report-types.ts). */
export const STATIC_CHECKS: readonly ((ctx: CheckContext) => CheckResult)[] = [
  checkIntegrity,
  checkFormat,
  checkManifest,
  checkLayout,
  checkAppleDouble,
  checkPaths,
  checkPlatform,
  checkGlibc,
  checkNodeAbi,
  checkRequirements,
  checkLimits,
];

export function runChecks(ctx: CheckContext): CheckResult[] {
  return STATIC_CHECKS.map((check) => check(ctx));
}
