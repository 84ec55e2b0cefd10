/**
 * Publishing into `<out>`: tarball and manifest appear by rename from temp files in the same
 * folder, then SHA256SUMS is rewritten the same way. Until the first rename nothing in `<out>`
 * changed, so a failed build leaves it as it was.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import createDebug from 'debug';
import { ToolError } from '../abi-gate/index.js';

const debug = createDebug('remote-ai:packager:publish');

export const SUMS_FILE = 'SHA256SUMS';
const TEMP_PREFIX = '.packager-';

export function tempPath(out: string, name: string): string {
  return join(out, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}-${name}`);
}

function unwritable(out: string, reason: string): ToolError {
  return new ToolError('OUT_UNWRITABLE', `--out ${out} is not writable: ${reason}`, { hint: 'pass a folder you can write to' });
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

/**
 * Rewrites `<out>/SHA256SUMS` to cover every `*.tar.gz` in the folder, sorted by name, in
 * `sha256sum -c` format. Hashes already known (the release just packed) are not recomputed;
 * the others are, since a file may have been replaced since the last build.
 */
export async function writeSums(out: string, known: ReadonlyMap<string, string>): Promise<string> {
  const names = (await readdir(out)).filter((name) => name.endsWith('.tar.gz') && !name.startsWith(TEMP_PREFIX)).sort();
  const lines: string[] = [];
  for (const name of names) {
    const stats = await stat(join(out, name));
    if (!stats.isFile()) continue;
    lines.push(`${known.get(name) ?? (await sha256OfFile(join(out, name)))}  ${name}\n`);
  }
  const target = join(out, SUMS_FILE);
  const temp = tempPath(out, SUMS_FILE);
  try {
    await writeFile(temp, lines.join(''), { flag: 'wx' });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  debug('%s covers %d tarballs', target, lines.length);
  return target;
}
