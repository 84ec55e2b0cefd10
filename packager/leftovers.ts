/**
 * What a killed build leaves behind, and how the next build removes it. A build writes in two
 * places: its staging folder in the temp dir (`remote-ai-packager-<owner>-XXXXXX`) and temp files
 * in `--out` (`.packager-<owner>-<random>-<name>`); both names carry their owner (owner.ts).
 * A SIGKILL runs no `finally`, so every build first sweeps the leftovers of builds that are gone,
 * never those of a live concurrent build.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import createDebug from 'debug';
import { ownerAlive, ownerTag, parseOwnerTag } from './owner.js';

const debug = createDebug('remote-ai:packager:publish');

export const STAGING_PREFIX = 'remote-ai-packager-';
export const TEMP_PREFIX = '.packager-';

/** This build's staging folder in the temp dir (`tmpdir()` honours TMPDIR). */
export async function makeStaging(): Promise<string> {
  return mkdtemp(join(tmpdir(), `${STAGING_PREFIX}${ownerTag()}-`));
}

/** Names in `folder` starting with `prefix` whose owner is known and gone. */
async function deadNames(folder: string, prefix: string): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  return names.filter((name) => {
    if (!name.startsWith(prefix)) return false;
    const owner = parseOwnerTag(name.slice(prefix.length));
    return owner !== null && !ownerAlive(owner);
  });
}

/**
 * Removes temp files of dead builds from `out` and their staging folders from the temp dir.
 * Returns what it removed (paths), for the debug log and tests. Best effort: a leftover that
 * cannot be removed (another user's) is left, never an error of this build.
 */
export async function removeDeadLeftovers(out: string, temp: string = tmpdir()): Promise<string[]> {
  const removed: string[] = [];
  for (const [folder, prefix] of [[out, TEMP_PREFIX], [temp, STAGING_PREFIX]] as const) {
    for (const name of await deadNames(folder, prefix)) {
      const path = join(folder, name);
      try {
        await rm(path, { recursive: true, force: true });
        removed.push(path);
      } catch (error) {
        debug('cannot remove leftover %s: %s', path, (error as Error).message);
      }
    }
  }
  if (removed.length > 0) debug('removed %d leftovers of dead builds: %o', removed.length, removed);
  return removed;
}
