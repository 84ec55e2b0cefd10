import { isXattrPaxKey, MAC_LITTER_LABEL, macLitterOf } from '../../release/index.js';
import type { CheckResult } from '../report-types.js';
import type { CheckContext, EntryFact } from '../verify-types.js';
import { fail, partialVerdict, pass } from './tree.js';

function macosFinding(entry: EntryFact): string | null {
  const litter = macLitterOf(entry.path);
  if (litter !== null) return `${entry.path}: ${MAC_LITTER_LABEL[litter]}`;
  const keys = entry.paxKeys.filter(isXattrPaxKey);
  if (keys.length > 0) return `${entry.path}: xattr pax header ${keys.join(', ')}`;
  return null;
}

export function checkAppleDouble({ facts }: CheckContext): CheckResult {
  const details: string[] = [];
  const globalKeys = facts.globalPaxKeys.filter(isXattrPaxKey);
  if (globalKeys.length > 0) details.push(`global pax header: ${globalKeys.join(', ')}`);
  for (const entry of facts.entries) {
    const finding = macosFinding(entry);
    if (finding !== null) details.push(finding);
  }
  const result =
    details.length === 0
      ? pass('appledouble', 'no AppleDouble, __MACOSX/, .DS_Store or xattr pax headers')
      : fail(
          'appledouble',
          `${details.length} macOS metadata entries or headers: repack on Linux (packager build strips them)`,
          details,
        );
  return partialVerdict('appledouble', facts, result);
}
