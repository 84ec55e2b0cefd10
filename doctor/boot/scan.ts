import { isScanned } from '../../abi-gate/check.js';
import { ELF_MAGIC } from '../../abi-gate/elf/constants.js';
import { scanBuffer } from '../../abi-gate/scan-file.js';
import { readTar } from '../../abi-gate/tar/read-tar.js';
import type { ScannedFile, TreeIndex } from '../../abi-gate/types.js';

/** What a boot needs from the static side: every ELF of the install and every path of its tree. */
export interface InstallScan {
  /** Paths relative to the install folder (the tarball's top folder stripped). */
  files: ScannedFile[];
  tree: TreeIndex;
}

function stripTop(path: string): string | null {
  const clean = path.replace(/^\.\//, '');
  const at = clean.indexOf('/');
  if (at === -1) return null;
  const rest = clean.slice(at + 1).replace(/\/$/, '');
  return rest === '' ? null : rest;
}

/**
 * Scans the ELF files of a tarball as they will sit in the install folder (`tar
 * --strip-components=1`). Only entries that start with the ELF magic are buffered; a caller that
 * already has the scan hands it in (BootOptions.scan) and this pass is skipped.
 */
export async function scanInstall(tarball: string): Promise<InstallScan> {
  const files: ScannedFile[] = [];
  const paths = new Set<string>();
  await readTar(
    tarball,
    async (entry, body) => {
      const path = stripTop(entry.path);
      if (path === null || (entry.type !== 'file' && entry.type !== 'symlink' && entry.type !== 'hardlink')) {
        return body.skip();
      }
      paths.add(path);
      if (entry.type !== 'file' || entry.size < ELF_MAGIC.length) return body.skip();
      const chunks: Buffer[] = [];
      let elf: boolean | null = null;
      await body.forEach((chunk) => {
        elf ??= chunk.subarray(0, ELF_MAGIC.length).equals(ELF_MAGIC);
        if (elf) chunks.push(chunk);
      });
      if (elf !== true) return;
      const scanned = scanBuffer(chunks, path);
      if (scanned !== null && isScanned(scanned) && scanned.format === 'elf') files.push(scanned);
    },
    { label: tarball },
  );
  return { files, tree: { has: (p) => paths.has(p) } };
}
