import { walkEntries } from '../../release/index.js';
import type { CheckResult } from '../report-types.js';
import type { CheckContext } from '../verify-types.js';
import { fail, partialVerdict, pass, topFolder } from './tree.js';

/**
 * Every entry against the release module's rule (the one packager builds with): names, types,
 * setuid/setgid, duplicates, and where each entry and link lands once the links before it, and
 * finally all links, are followed as the kernel would.
 */
export function checkPaths({ facts }: CheckContext): CheckResult {
  const top = topFolder(facts.entries);
  const boundaryName = top === null ? 'the extraction folder' : `the top folder ${top}/`;
  const details = walkEntries(facts.entries, top).map((f) => `${f.path}: ${f.finding}`);
  const result =
    details.length === 0
      ? pass('paths', `${facts.entries.length} entries stay inside ${boundaryName}; no links out, devices, setuid or duplicates`)
      : fail('paths', `${details.length} unsafe entries: extracting this tarball could write outside its folder or replace checked files`, details);
  return partialVerdict('paths', facts, result);
}
