import { dropTopFolder, isScanned, type ScannedFile, type TreeIndex } from '../../abi-gate/index.js';
import { readTarballFacts } from '../verify-stream.js';
import { DEFAULT_LIMITS, type TarballFacts } from '../verify-types.js';
import type { TarFeed } from './tar-feed.js';

/** What a boot needs from the static side: every ELF of the install and every path of its tree. */
export interface InstallScan {
  /** Paths relative to the install folder (the tarball's top folder stripped). */
  files: ScannedFile[];
  tree: TreeIndex;
}

/** An archive path as `tar --strip-components=1` installs it, or null for the top folder itself. */
function installPath(archivePath: string): string | null {
  const path = dropTopFolder(archivePath);
  return path === '' ? null : path;
}

/**
 * The boot's facts from the one read verify makes (no second scan): the ELF scans verify already
 * has, and the paths of files and links as they will sit in the install folder.
 */
export function installScanFromFacts(facts: TarballFacts): InstallScan {
  const files: ScannedFile[] = [];
  for (const [archivePath, entry] of facts.binaries) {
    const path = installPath(archivePath);
    if (path !== null && isScanned(entry) && entry.format === 'elf') files.push({ ...entry, path });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const paths = new Set<string>();
  for (const entry of facts.entries) {
    if (entry.kind !== 'file' && entry.kind !== 'symlink' && entry.kind !== 'hardlink') continue;
    const path = installPath(entry.path);
    if (path !== null) paths.add(path);
  }
  return { files, tree: { has: (path) => paths.has(path) } };
}

/**
 * Reads a tarball with verify's pass and keeps what the boot needs. With `feed`, the same read
 * feeds the container's tar: its stream ends with the read, or fails where the read stopped (a
 * limit crossed, a broken archive), so that such an archive is never extracted whole.
 */
export async function scanInstall(tarball: string, feed?: TarFeed): Promise<InstallScan> {
  let facts: TarballFacts;
  try {
    facts = await readTarballFacts(tarball, DEFAULT_LIMITS, feed?.onTarChunk);
  } catch (error) {
    feed?.fail(error instanceof Error ? error.message : String(error));
    throw error;
  }
  feed?.settle(facts);
  return installScanFromFacts(facts);
}
