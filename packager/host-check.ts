/**
 * The release's `bin/helpers/check-requirements.sh`: generated from what its binaries need
 * (release/host-check) and put in the tree in place of the server build's own, whose fixed
 * numbers (GLIBC 2.28, GLIBCXX 3.4.25 in Code-OSS) are neither the release's floor nor its ceiling.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ScanEntry } from '../abi-gate/index.js';
import { CHECK_SCRIPT_PATH, checkRequirementsScript, hostRequirements, machineOf, type HostRequirements, type TargetArch } from '../release/index.js';
import type { ServerTree } from './tree.js';

/** Computes the host requirements of the scanned tree and adds the script made from them. */
export async function addHostCheck(tree: ServerTree, entries: readonly ScanEntry[], arch: TargetArch, staging: string): Promise<HostRequirements> {
  const requirements = hostRequirements(entries, { has: (path) => tree.has(path) }, machineOf(arch));
  const script = checkRequirementsScript(requirements);
  const staged = join(staging, 'check-requirements.sh');
  await writeFile(staged, script);
  tree.set(CHECK_SCRIPT_PATH, { type: 'file', source: staged, size: Buffer.byteLength(script), executable: true });
  return requirements;
}
