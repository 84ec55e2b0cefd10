// Where the compiled tools are, and whether they exist yet: a benchmark whose tool is missing
// reports SKIPPED rather than timing something else.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export const DIST = join(ROOT, 'dist');

const BINS = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin;

/** The file a user's `npx <tool>` runs: package.json's `bin` (abi-gate's is a bundle, for start-up). */
/** @param {'abi-gate' | 'packager' | 'doctor'} tool */
export function binPath(tool) {
  return join(ROOT, BINS[tool]);
}

/** @param {'abi-gate' | 'packager' | 'doctor'} tool */
export function missingReason(tool) {
  return existsSync(binPath(tool)) ? null : `${tool} not built (no ${BINS[tool]}; run npm run build)`;
}

/** argv for running a tool's CLI the way a user does: `node <package.json bin> ...`. */
export function toolCommand(tool, args) {
  return { cmd: process.execPath, args: [binPath(tool), ...args] };
}

/** The children's environment: no DEBUG (its output would be timed) and no inherited NODE_OPTIONS. */
export const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => key !== 'DEBUG' && key !== 'NODE_OPTIONS'),
);
