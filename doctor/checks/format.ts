import { basename } from 'node:path';
import { parseTarballName, releaseBaseName } from '../../release/index.js';
import type { CheckResult } from '../report-types.js';
import type { CheckContext } from '../verify-types.js';
import { fail, partialVerdict, pass, plural } from './tree.js';

/** Details shown per failure; the rest are counted. */
const MAX_DETAILS = 50;

/** The top folder the release must have: from the manifest, else from the file name. */
function expectedTop(ctx: CheckContext): { top: string; source: string } | null {
  if (ctx.manifest.state === 'ok') {
    const { name, commit, target } = ctx.manifest.manifest;
    return { top: releaseBaseName(name, commit, target.arch), source: 'the manifest' };
  }
  const parts = parseTarballName(basename(ctx.facts.file));
  if (parts.name === null || parts.commit === null || parts.arch === null) return null;
  return { top: releaseBaseName(parts.name, parts.commit, parts.arch), source: 'the file name' };
}

/**
 * The canonical release format (release/format.ts): the rules are checked as the archive streams
 * by (verify-stream.ts); this check reports them and ties the top folder to the release's name.
 */
export function checkFormat(ctx: CheckContext): CheckResult {
  const { facts } = ctx;
  const { violations, count, top } = facts.format;
  const details = violations.slice(0, MAX_DETAILS).map((v) => v.message);
  let total = count;
  const expected = expectedTop(ctx);
  if (top !== null && expected !== null && top !== expected.top) {
    details.unshift(`top folder ${top}/ is not ${expected.top}/ as ${expected.source} says [top-folder]`);
    total++;
  }
  if (total > details.length) details.push(`... and ${total - details.length} more`);
  if (total > 0) {
    const rules = [...new Set(violations.map((v) => v.rule))];
    return fail(
      'format',
      `${plural(total, 'departure')} from the release format (${rules.join(', ') || 'top-folder'}): tar readers may install something else than what was checked; repack with packager`,
      details,
    );
  }
  return partialVerdict(
    'format',
    facts,
    pass('format', `canonical release format: ${facts.entries.length} entries in ${top ?? '?'}/, ustar with path/linkpath pax only, one gzip member`),
  );
}
