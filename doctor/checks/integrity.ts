import type { CheckResult } from '../report-types.js';
import type { CheckContext } from '../verify-types.js';
import { fail, formatBytes, pass, skip } from './tree.js';

export function checkIntegrity({ facts }: CheckContext): CheckResult {
  const { integrity } = facts;
  if (!integrity.ok) return fail('integrity', integrity.message);
  if (facts.stopped !== null) return skip('integrity', 'not judged: the read stopped at a limit before the end (see limits)');
  return pass(
    'integrity',
    `complete gzip'd tar: ${facts.entries.length} entries, ${formatBytes(facts.compressedSize)} -> ${formatBytes(facts.decompressedBytes)}`,
    facts.compressedSha256 === null ? [] : [`sha256 ${facts.compressedSha256}`],
  );
}
