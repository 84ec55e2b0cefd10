// Where the compiled tools are, and whether they exist yet: a benchmark whose tool is missing
// reports SKIPPED rather than timing something else.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export const DIST = join(ROOT, 'dist');

/** @param {'abi-gate' | 'packager' | 'doctor'} tool */
export function binPath(tool) {
  return join(DIST, tool, 'bin.js');
}

/** @param {'abi-gate' | 'packager' | 'doctor'} tool */
export function missingReason(tool) {
  return existsSync(binPath(tool)) ? null : `${tool} not built (no dist/${tool}/bin.js; run npm run build)`;
}

/** argv for running a tool's CLI the way a user does: `node dist/<tool>/bin.js ...`. */
export function toolCommand(tool, args) {
  return { cmd: process.execPath, args: [binPath(tool), ...args] };
}

/** The children's environment: no DEBUG (its output would be timed) and no inherited NODE_OPTIONS. */
export const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => key !== 'DEBUG' && key !== 'NODE_OPTIONS'),
);
