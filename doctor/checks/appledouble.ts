import type { CheckResult } from '../report-types.js';
import type { CheckContext, EntryFact } from '../verify-types.js';
import { fail, normalizePath, partialVerdict, pass } from './tree.js';

/** Keys macOS bsdtar writes for extended attributes (GNU tar warns "Ignoring unknown extended header keyword"). */
const XATTR_KEY = /^(LIBARCHIVE\.xattr\.|SCHILY\.xattr\.)/;

function macosFinding(entry: EntryFact): string | null {
  const parts = normalizePath(entry.path).split('/');
  const base = parts[parts.length - 1] ?? '';
  if (parts.includes('__MACOSX')) return `${entry.path}: __MACOSX/ folder`;
  if (base.startsWith('._')) return `${entry.path}: AppleDouble file`;
  if (base === '.DS_Store') return `${entry.path}: .DS_Store`;
  const keys = entry.paxKeys.filter((key) => XATTR_KEY.test(key));
  if (keys.length > 0) return `${entry.path}: xattr pax header ${keys.join(', ')}`;
  return null;
}

export function checkAppleDouble({ facts }: CheckContext): CheckResult {
  const details: string[] = [];
  const globalKeys = facts.globalPaxKeys.filter((key) => XATTR_KEY.test(key));
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
