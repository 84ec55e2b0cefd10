import { isScanned } from '../../abi-gate/index.js';
import { machineOf } from '../../release/index.js';
import type { CheckResult } from '../report-types.js';
import type { CheckContext } from '../verify-types.js';
import { fail, partialVerdict, pass } from './tree.js';

export function checkPlatform(ctx: CheckContext): CheckResult {
  const { facts } = ctx;
  const want = machineOf(ctx.arch);
  const details: string[] = [];
  let elf = 0;
  for (const [path, scan] of facts.binaries) {
    if (!isScanned(scan)) {
      details.push(`${path}: unreadable ${scan.format ?? 'binary'}: ${scan.error}`);
    } else if (scan.format !== 'elf') {
      details.push(`${path}: ${scan.format === 'macho' ? 'Mach-O (macOS)' : 'PE (Windows)'} binary${scan.machine === undefined ? '' : ` for ${scan.machine}`}`);
    } else if (scan.machine !== want) {
      details.push(`${path}: ELF for ${scan.machine ?? 'an unknown machine'}, not ${want}`);
    } else {
      elf += 1;
    }
  }
  const result =
    details.length === 0
      ? pass('platform', `${elf} native binaries, all Linux ELF ${want} (${ctx.archSource})`)
      : fail('platform', `${details.length} foreign or unreadable binaries in a linux-${ctx.arch} tarball: rebuild them for Linux ${want} or drop them (packager --prune-foreign)`, details);
  return partialVerdict('platform', facts, result);
}
