import { normalizeArchivePath, singleTopFolder, stripTopFolder } from '../../release/index.js';
import type { CheckResult, StaticCheckId } from '../report-types.js';
import type { EntryFact, TarballFacts } from '../verify-types.js';

/** `./a//b/` -> `a/b`: how tar extractors treat the stored name (the release module's rule). */
export const normalizePath = normalizeArchivePath;

const topCache = new WeakMap<readonly EntryFact[], string | null>();
const indexCache = new WeakMap<TarballFacts, Map<string, EntryFact>>();

/** The single top-level folder, or null when entries do not share one. Computed once per list. */
export function topFolder(entries: readonly EntryFact[]): string | null {
  const cached = topCache.get(entries);
  if (cached !== undefined) return cached;
  const top = singleTopFolder(entries.map((entry) => ({ path: entry.path, directory: entry.kind === 'directory' })));
  topCache.set(entries, top);
  return top;
}

/** Path relative to the top folder (`''` for the folder itself), or null for one outside it. */
export const relativeToTop = stripTopFolder;

/** Entries by path relative to the top folder; later entries win, as they do on extraction. */
export function indexByRelative(facts: TarballFacts): ReadonlyMap<string, EntryFact> {
  const cached = indexCache.get(facts);
  if (cached !== undefined) return cached;
  const top = topFolder(facts.entries);
  const index = new Map<string, EntryFact>();
  for (const entry of facts.entries) {
    const rel = relativeToTop(entry.path, top);
    if (rel !== null && rel !== '') index.set(rel, entry);
  }
  indexCache.set(facts, index);
  return index;
}

export function pass(id: StaticCheckId, message: string, details?: string[]): CheckResult {
  return details === undefined || details.length === 0 ? { id, ok: true, message } : { id, ok: true, message, details };
}

export function fail(id: StaticCheckId, message: string, details?: string[]): CheckResult {
  return details === undefined || details.length === 0 ? { id, ok: false, message } : { id, ok: false, message, details };
}

export function skip(id: StaticCheckId, message: string): CheckResult {
  return { id, ok: null, message };
}

/** Why whole-archive checks cannot judge: the pass stopped before the end. */
export function incompleteReason(facts: TarballFacts): string {
  if (facts.stopped !== null) return 'not run: the read stopped at a limit (see limits)';
  return 'not run: the archive could not be read to its end (see integrity)';
}

/**
 * Per-entry checks still judge what was read before a stop: a finding is a real failure; no
 * finding is only a skip, since the rest of the archive was never seen.
 */
export function partialVerdict(id: StaticCheckId, facts: TarballFacts, result: CheckResult): CheckResult {
  if (facts.complete || result.ok !== true) return result;
  return skip(id, `no finding in the ${facts.entries.length} entries read before the read stopped`);
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
