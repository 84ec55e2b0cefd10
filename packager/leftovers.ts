/**
 * What a killed build leaves behind, and how the next build removes it. A build writes in two
 * places: its staging folder in the temp dir (`remote-ai-packager-<owner>-XXXXXX`) and temp files
 * in `--out` (`.packager-<owner>-<random>-<name>`); both names carry their owner
 * (release/process-owner.ts).
 * A SIGKILL runs no `finally`, so every build first sweeps the leftovers of builds that are gone,
 * never those of a live concurrent build.
 */
import { tmpdir } from 'node:os';
import createDebug from 'debug';
import { makeOwnedDir, removeDeadOwned } from '../release/index.js';

const debug = createDebug('remote-ai:packager:publish');

export const STAGING_PREFIX = 'remote-ai-packager-';
export const TEMP_PREFIX = '.packager-';

/** This build's staging folder in the temp dir (`tmpdir()` honours TMPDIR). */
export async function makeStaging(): Promise<string> {
  return makeOwnedDir(tmpdir(), STAGING_PREFIX);
}

/**
 * Removes temp files of dead builds from `out` and their staging folders from the temp dir.
 * Returns what it removed (paths), for the debug log and tests. Best effort: a leftover that
 * cannot be removed (another user's) is left, never an error of this build.
 */
export async function removeDeadLeftovers(out: string, temp: string = tmpdir()): Promise<string[]> {
  const removed = [...(await removeDeadOwned(out, TEMP_PREFIX)), ...(await removeDeadOwned(temp, STAGING_PREFIX))];
  if (removed.length > 0) debug('removed %d leftovers of dead builds: %o', removed.length, removed);
  return removed;
}
