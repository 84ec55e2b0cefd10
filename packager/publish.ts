/**
 * Publishing into `<out>`, crash-safe. The invariant: at every instant, a tarball visible in
 * `<out>` has its manifest and its SHA256SUMS line. Every file appears by rename from a temp file
 * in the same folder (atomic on POSIX), in this order, under a publish lock:
 *
 *   1. remove the old `<base>.tar.gz` if there is one (its manifest and line are about to change)
 *   2. rename the manifest into place
 *   3. rewrite SHA256SUMS (temp + rename): every tarball present, plus the new one's line
 *   4. rename the tarball into place: it appears last, when 2 and 3 are done
 *
 * A crash before 4 leaves at most a manifest and a sums line without their tarball: nothing that
 * looks like a release, and the next build removes that manifest (its tarball never came) and
 * rewrites SHA256SUMS from the tarballs present. A crash after 4 leaves a complete release. The
 * lock (`.packager-publish.lock`, holding its owner) keeps two builds into one `--out` from
 * interleaving 1-4: B's SHA256SUMS would otherwise drop A's line while A's tarball appears.
 * A dead owner's lock is taken over (owner.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import createDebug from 'debug';
import { ToolError } from '../abi-gate/index.js';
import type { Step, Steps } from './checkpoints.js';
import { TEMP_PREFIX } from './leftovers.js';
import { ownerAlive, ownerTag, parseOwnerTag, replaceAtomically } from '../release/index.js';

const debug = createDebug('remote-ai:packager:publish');

export const SUMS_FILE = 'SHA256SUMS';
export const LOCK_FILE = `${TEMP_PREFIX}publish.lock`;
const MANIFEST_SUFFIX = '.manifest.json';

/** A temp file in `out` named for its owner, so the next build can tell whether it is a leftover. */
export function tempPath(out: string, name: string): string {
  return join(out, `${TEMP_PREFIX}${ownerTag()}-${randomBytes(6).toString('hex')}-${name}`);
}

const REASONS: Record<string, string> = {
  EROFS: 'read-only file system (EROFS)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'permission denied (EPERM)',
};

function unwritable(out: string, reason: string): ToolError {
  return new ToolError('OUT_UNWRITABLE', `--out ${out} is not writable: ${REASONS[reason] ?? reason}`, {
    hint: 'pass a folder you can write to',
    exitCode: 2,
  });
}

/** Checks early (before any work) that `out`, or the folder that would hold it, is writable. */
export async function checkOutWritable(out: string): Promise<void> {
  let probe = out;
  for (;;) {
    const stats = await stat(probe).catch(() => null);
    if (stats !== null) {
      if (!stats.isDirectory()) throw unwritable(out, `${probe} is not a folder`);
      try {
        await access(probe, constants.W_OK | constants.X_OK);
      } catch (error) {
        throw unwritable(out, (error as NodeJS.ErrnoException).code ?? String(error));
      }
      return;
    }
    const parent = dirname(probe);
    if (parent === probe) throw unwritable(out, 'no existing parent folder');
    probe = parent;
  }
}

export async function ensureOut(out: string): Promise<void> {
  try {
    await mkdir(out, { recursive: true });
  } catch (error) {
    throw unwritable(out, (error as NodeJS.ErrnoException).code ?? String(error));
  }
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const isTarball = (name: string): boolean => name.endsWith('.tar.gz') && !name.startsWith(TEMP_PREFIX);

/**
 * Rewrites `<out>/SHA256SUMS` in `sha256sum -c` format, sorted by name: every `*.tar.gz` in the
 * folder plus `pending` (name -> sha256: tarballs about to appear). Known hashes are not
 * recomputed; the others are, since a file may have been replaced since the last build.
 */
export async function writeSums(out: string, pending: ReadonlyMap<string, string>, step?: Step): Promise<string> {
  const names = new Set((await readdir(out)).filter(isTarball));
  for (const name of pending.keys()) names.add(name);
  const lines: string[] = [];
  for (const name of [...names].sort()) {
    const known = pending.get(name);
    if (known !== undefined) {
      lines.push(`${known}  ${name}\n`);
      continue;
    }
    const stats = await stat(join(out, name)).catch(() => null);
    if (stats?.isFile() !== true) continue;
    lines.push(`${await sha256OfFile(join(out, name))}  ${name}\n`);
  }
  const target = join(out, SUMS_FILE);
  await replaceAtomically(target, (temp) => writeFile(temp, lines.join(''), { flag: 'wx' }), {
    temp: tempPath(out, SUMS_FILE),
    beforeRename: async () => step?.('sums-written'),
  });
  debug('%s covers %d tarballs', target, lines.length);
  return target;
}

/**
 * Takes `<out>/.packager-publish.lock` (created by hard link from a temp file holding this
 * build's owner, so it never exists half-written) and returns its release. Waits while a live
 * build holds it; takes it over from a dead one.
 */
export async function lockOut(out: string, signal?: AbortSignal): Promise<() => Promise<void>> {
  const lockPath = join(out, LOCK_FILE);
  const mine = ownerTag();
  const temp = tempPath(out, 'lock');
  await writeFile(temp, mine, { flag: 'wx' });
  try {
    for (;;) {
      try {
        await link(temp, lockPath).catch(async (error: NodeJS.ErrnoException) => {
          // File systems without hard links (some FUSE and SMB mounts): an exclusive create instead,
          // whose few bytes another build could in theory read before they are written.
          if (error.code !== 'EPERM' && error.code !== 'ENOTSUP' && error.code !== 'EOPNOTSUPP') throw error;
          await writeFile(lockPath, mine, { flag: 'wx' });
        });
        debug('locked %s', lockPath);
        return async () => {
          // Only our own lock is removed (a takeover by mistake must not free someone else's).
          if ((await readFile(lockPath, 'utf8').catch(() => null)) === mine) await rm(lockPath, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readFile(lockPath, 'utf8').catch(() => null);
      if (holder === null) continue;
      const owner = parseOwnerTag(holder);
      if (owner === null || !ownerAlive(owner)) {
        await takeOver(out, lockPath, holder);
        continue;
      }
      signal?.throwIfAborted();
      await sleep(50);
    }
  } finally {
    await rm(temp, { force: true });
  }
}

/** Moves a dead owner's lock aside; a live lock moved by a race is put back. */
async function takeOver(out: string, lockPath: string, deadHolder: string): Promise<void> {
  const aside = tempPath(out, 'stale-lock');
  try {
    await rename(lockPath, aside);
  } catch {
    return;
  }
  if ((await readFile(aside, 'utf8').catch(() => null)) !== deadHolder) await link(aside, lockPath).catch(() => undefined);
  await rm(aside, { force: true });
  debug('took over the lock of dead build %s', deadHolder);
}

/** Manifests packager wrote whose tarball never appeared (a build killed while publishing). */
async function removeOrphanManifests(out: string): Promise<void> {
  const names = new Set(await readdir(out));
  for (const name of names) {
    if (!name.endsWith(MANIFEST_SUFFIX) || name.startsWith(TEMP_PREFIX)) continue;
    const tarball = `${name.slice(0, -MANIFEST_SUFFIX.length)}.tar.gz`;
    if (names.has(tarball)) continue;
    const text = await readFile(join(out, name), 'utf8').catch(() => '');
    let ours = false;
    try {
      const parsed = JSON.parse(text) as { createdBy?: { tool?: unknown }; tarball?: { file?: unknown } };
      ours = parsed.createdBy?.tool === 'packager' && parsed.tarball?.file === tarball;
    } catch {
      // not JSON: not ours to remove
    }
    if (ours) {
      await rm(join(out, name), { force: true });
      debug('removed %s: its tarball never appeared', name);
    }
  }
}

export interface Publication {
  out: string;
  tarballName: string;
  manifestName: string;
  /** Complete temp files in `out`, written by this build. */
  tempTarball: string;
  tempManifest: string;
  sha256: string;
  step: Steps;
}

/** Steps 1-4 above; returns the SHA256SUMS path. */
export async function publishRelease(p: Publication): Promise<string> {
  const release = await lockOut(p.out, p.step.signal);
  try {
    await p.step('locked');
    await removeOrphanManifests(p.out);
    await rm(join(p.out, p.tarballName), { force: true });
    await p.step('old-tarball-removed');
    await rename(p.tempManifest, join(p.out, p.manifestName));
    await p.step('manifest-renamed');
    const sums = await writeSums(p.out, new Map([[p.tarballName, p.sha256]]), p.step);
    await p.step('sums-renamed');
    await rename(p.tempTarball, join(p.out, p.tarballName));
    await p.step('tarball-renamed');
    return sums;
  } finally {
    await release();
  }
}
