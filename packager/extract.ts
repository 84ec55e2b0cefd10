/**
 * Safe extraction of an input tarball (server or native overlay) into a staging folder, with the
 * checks of Python's PEP 706 `data` filter: no absolute paths, no `..`, no link leaving the
 * folder (resolved through the links before it, as the kernel will), no writing through a link,
 * no devices or FIFOs. macOS litter is dropped on the way. The path rules are the release
 * module's, so an input is refused for what a release would be refused for.
 */
import { copyFile, mkdir, open, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import createDebug from 'debug';
import { readTar, ToolError, type EntryBody, type TarEntryInfo } from '../abi-gate/index.js';
import { isAbsoluteOrDrive, LinkResolver, normalizeArchivePath, pathFindings, singleTopFolder, type ArchivePath } from '../release/index.js';
import { hasXattrKeys, isMacJunk, type StrippedCounts } from './tree.js';

const debug = createDebug('remote-ai:packager:extract');

export interface ExtractResult {
  /** The archive's single top folder (after the litter was dropped), or null when it has none. */
  top: string | null;
}

/** A release tarball's limits: generous for a server, far below a gzip bomb. */
const LIMITS = { maxTarBytes: 8 * 1024 ** 3, maxEntries: 1_000_000, maxDecompressionRatio: 1000 };

function unsafe(label: string, entry: string, what: string): ToolError {
  return new ToolError('UNSAFE_ENTRY', `${label}: entry ${JSON.stringify(entry)} ${what}`, {
    hint: 'rebuild the tarball without it; packager never extracts such entries',
  });
}

/** Normalises an archive path; null means the entry is the archive root itself (`./`). */
function safePath(label: string, raw: string): string | null {
  const [finding] = pathFindings(raw);
  if (finding !== undefined) throw unsafe(label, raw, `has a bad name: ${finding}`);
  const path = normalizeArchivePath(raw);
  return path === '' ? null : path;
}

export async function extractTarball(tarball: string, dest: string, label: string, stripped: StrippedCounts): Promise<ExtractResult> {
  const kinds = new Map<string, 'file' | 'directory' | 'symlink'>();
  const kept: ArchivePath[] = [];
  // Entries are never written through a link (below), so an entry's place is its path; only
  // link targets need resolving through the links before them.
  const links = new LinkResolver();

  const throughLink = (path: string): string | null => {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const kind = kinds.get(prefix);
      if (kind === 'symlink' || kind === 'file') return prefix;
    }
    return null;
  };

  const onEntry = async (entry: TarEntryInfo, body: EntryBody): Promise<void> => {
    if (hasXattrKeys(entry.pax)) stripped.xattrHeaders++;
    const path = safePath(label, entry.path);
    if (entry.type === 'char-device' || entry.type === 'block-device' || entry.type === 'fifo' || entry.type === 'other') {
      throw unsafe(label, entry.path, `is a ${entry.type === 'other' ? `type ${entry.typeflag} entry` : entry.type}`);
    }
    if (entry.type === 'symlink') {
      const target = entry.linkpath;
      const parent = (path ?? '').split('/').slice(0, -1);
      const resolved = target === null || isAbsoluteOrDrive(target) || target.includes('\0') ? null : links.resolve([...parent, ...target.split('/')], true);
      if (resolved?.kind !== 'path') throw unsafe(label, entry.path, `is a symlink to ${target ?? '<nothing>'}, outside the archive`);
    }
    let hardlinkSource: string | null = null;
    if (entry.type === 'hardlink') {
      hardlinkSource = entry.linkpath === null ? null : safePathOrNull(entry.linkpath);
      if (hardlinkSource === null || kinds.get(hardlinkSource) !== 'file') {
        throw unsafe(label, entry.path, `is a hard link to ${entry.linkpath ?? '<nothing>'}, which is no earlier file of the archive`);
      }
    }
    if (path === null || isMacJunk(path, stripped)) return body.skip();
    const via = throughLink(path);
    if (via !== null) throw unsafe(label, entry.path, `would be written through ${via}, which is not a folder`);
    const existing = kinds.get(path);
    if (existing !== undefined && !(existing === 'directory' && entry.type === 'directory')) {
      throw unsafe(label, entry.path, 'appears twice; the second would silently replace the first');
    }
    kept.push({ path, directory: entry.type === 'directory' });

    const target = join(dest, ...path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    if (entry.type === 'directory') {
      await mkdir(target, { recursive: true });
      kinds.set(path, 'directory');
      return body.skip();
    }
    if (entry.type === 'symlink') {
      await symlink(entry.linkpath as string, target);
      kinds.set(path, 'symlink');
      links.addSymlink(path.split('/'), entry.linkpath as string);
      return body.skip();
    }
    if (hardlinkSource !== null) {
      await copyFile(join(dest, ...hardlinkSource.split('/')), target);
      kinds.set(path, 'file');
      return body.skip();
    }
    // Only permission bits that packing honours: executable or not. setuid/setgid never survive.
    const handle = await open(target, 'wx', entry.mode & 0o111 ? 0o755 : 0o644);
    try {
      for await (const chunk of body) await handle.write(chunk);
    } finally {
      await handle.close();
    }
    kinds.set(path, 'file');
  };

  await readTar(tarball, onEntry, { label, limits: LIMITS });
  debug('%s: %d entries extracted to %s', label, kinds.size, dest);
  return { top: singleTopFolder(kept) };
}

function safePathOrNull(raw: string): string | null {
  try {
    return safePath('', raw);
  } catch {
    return null;
  }
}
