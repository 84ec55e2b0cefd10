/**
 * Outputs appear atomically: written to a temp file in the target's own folder (a rename is
 * atomic only within one file system), then renamed over the target. A reader sees the old file
 * or the new one, never half of one; a failure removes the temp file.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A fresh temp name beside `file`, hidden and marked with the writer's pid. */
export function tempBeside(file: string, prefix = '.'): string {
  return join(dirname(file), `${prefix}${basename(file)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

export interface ReplaceOptions {
  /** The temp file to write, in `file`'s folder (default `tempBeside(file)`): a caller that sweeps
   * its own leftovers names it so it can tell them (packager's owner-tagged temp names). */
  temp?: string;
  /** Runs between the write and the rename: packager's crash tests pause there. */
  beforeRename?: () => Promise<void>;
}

/**
 * Lets `write` fill a temp file beside `file`, then renames it into place. `write` must create
 * the file it is given (exclusively: it is fresh).
 */
export async function replaceAtomically(file: string, write: (temp: string) => Promise<void>, options: ReplaceOptions = {}): Promise<void> {
  const temp = options.temp ?? tempBeside(file);
  try {
    await write(temp);
    await options.beforeRename?.();
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Writes `content` to `file` atomically. Errors are the file system's, for the caller to word. */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  await replaceAtomically(file, (temp) => writeFile(temp, content, { flag: 'wx' }));
}
