import { ToolError } from '../../abi-gate/index.js';
import { writeFileAtomic as writeAtomically } from '../../release/index.js';

/** Temp file in the same folder, then rename (the release module's rule): a reader never sees half a report. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  try {
    await writeAtomically(file, content);
  } catch (error) {
    throw new ToolError('REPORT_WRITE', `cannot write ${file}: ${(error as Error).message}`, {
      hint: 'check that its folder exists and is writable',
      exitCode: 2,
      cause: error,
    });
  }
}
