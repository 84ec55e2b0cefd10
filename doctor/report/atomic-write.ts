import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ToolError } from '../../abi-gate/errors.js';

/** Temp file in the same folder, then rename: a reader never sees half a report. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new ToolError('REPORT_WRITE', `cannot write ${file}: ${(error as Error).message}`, {
      hint: 'check that its folder exists and is writable',
      exitCode: 2,
      cause: error,
    });
  }
}
