import { dropTopFolder, isScanned, scanPaths } from '../../abi-gate/index.js';
import type { ScannedFile, TreeIndex } from '../../abi-gate/index.js';

/** What a boot needs from the static side: every ELF of the install and every path of its tree. */
export interface InstallScan {
  /** Paths relative to the install folder (the tarball's top folder stripped). */
  files: ScannedFile[];
  tree: TreeIndex;
}

/**
 * Scans the ELF files of a tarball as they will sit in the install folder (`tar
 * --strip-components=1`), with abi-gate's own tarball scan: its report paths are
 * `<tarball>:<top>/<path>`, and its tree also indexes a one-top-folder release without that folder.
 */
export async function scanInstall(tarball: string): Promise<InstallScan> {
  const report = await scanPaths([tarball]);
  const prefix = `${tarball}:`;
  const files: ScannedFile[] = [];
  for (const entry of report.files) {
    if (!isScanned(entry) || entry.format !== 'elf' || !entry.path.startsWith(prefix)) continue;
    const installed = dropTopFolder(entry.path.slice(prefix.length));
    if (installed !== null) files.push({ ...entry, path: installed });
  }
  return { files, tree: report.tree };
}
