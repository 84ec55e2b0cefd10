/**
 * The frame around one build that makes it safe to stop at any point: it sweeps the leftovers of
 * dead builds first (leftovers.ts), gives the build a staging folder named for its owner and
 * removes it afterwards (also on abort and on any error), and turns a full disk, a quota or a
 * read-only mount into an exit-2 error that names the folder (disk-errors.ts).
 */
import { tmpdir } from 'node:os';
import { asDiskError, type Folder } from './disk-errors.js';
import { checkpoints, type Steps } from './checkpoints.js';
import { makeStaging, removeDeadLeftovers } from './leftovers.js';
import { rm } from 'node:fs/promises';
import type { BuildOptions, ResolvedOptions } from './options.js';

export async function guarded<T>(
  opts: ResolvedOptions,
  options: Pick<BuildOptions, 'signal' | 'env'>,
  run: (staging: string, step: Steps) => Promise<T>,
): Promise<T> {
  const step = checkpoints(options.signal, options.env);
  const out: Folder = { label: `--out ${opts.out}`, path: opts.out, otherwise: 'or pass another --out' };
  const temp: Folder = { label: `the temp folder ${tmpdir()}`, path: tmpdir(), otherwise: 'or point TMPDIR at a bigger folder' };
  const cache: Folder = { label: `the cache ${opts.cacheDir}`, path: opts.cacheDir, otherwise: 'or pass another --cache-dir' };
  const folders = [out, temp, cache];
  // Packing writes into --out; everything before it writes in the temp folder (or the cache).
  const current = (): Folder => (step.reached.has('gated') ? out : temp);
  await removeDeadLeftovers(opts.out);
  let staging: string | null = null;
  try {
    staging = await makeStaging();
    await step('options');
    return await run(staging, step);
  } catch (error) {
    throw asDiskError(error, folders, current());
  } finally {
    if (staging !== null) await rm(staging, { recursive: true, force: true });
  }
}
