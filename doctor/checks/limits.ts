import type { CheckResult } from '../report-types.js';
import type { CheckContext } from '../verify-types.js';
import { fail, formatBytes, pass } from './tree.js';

export function checkLimits({ facts, limits }: CheckContext): CheckResult {
  const bounds = `limits: ${formatBytes(limits.maxTotal)} in all, ${formatBytes(limits.maxEntry)} per entry, ${limits.maxEntries} entries`;
  const breach = facts.stopped;
  if (breach === null) {
    return pass('limits', `${facts.entries.length} entries, ${formatBytes(facts.decompressedBytes)} uncompressed (${bounds})`);
  }
  const where = breach.entry === null ? '' : ` at entry ${breach.entry}`;
  const hint = 'possibly a decompression bomb; raise --max-total/--max-entry/--max-entries only if the tarball is trusted';
  if (breach.message !== undefined) return fail('limits', `stopped: ${breach.message} (${hint})`);
  switch (breach.kind) {
    case 'total':
      if (breach.declared === true) {
        return fail('limits', `entry ${breach.entry ?? '?'} would bring the uncompressed total to ${formatBytes(breach.value)}: over --max-total ${formatBytes(breach.limit)}; stopped at its header (${hint})`);
      }
      return fail('limits', `stopped after ${formatBytes(breach.value)} uncompressed${where}: over --max-total ${formatBytes(breach.limit)} (${hint})`);
    case 'entry':
      return fail('limits', `entry ${breach.entry ?? '?'} declares ${formatBytes(breach.value)}: over --max-entry ${formatBytes(breach.limit)}; stopped there (${hint})`);
    case 'entries':
      return fail('limits', `stopped at ${breach.value} entries${where}: over --max-entries ${breach.limit} (${hint})`);
  }
}
