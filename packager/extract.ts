/**
 * Safe extraction of an input tarball (server or native overlay) into a staging folder, with the
 * checks of Python's PEP 706 `data` filter: no absolute paths, no `..`, no link leaving the
 * folder (resolved through the links before it, as the kernel will), no writing through a link,
 * no devices or FIFOs. macOS litter is dropped on the way. The path rules are the release
 * module's, so an input is refused for what a release would be refused for.
 *
 * The read is abi-gate's binary collector: each file is written and, in the same pass, sniffed
 * and (when it is a native binary) scanned, so the build never reads an extracted file again to
 * find its binaries. Writes are synchronous, like walkFolder's reads: the collector hands chunks
 * over synchronously, and a server is thousands of small files (see tree.ts).
 */
import { closeSync, copyFileSync, mkdirSync, openSync, symlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import createDebug from 'debug';
import { TarBinaryCollector, ToolError, type ChunkObserver, type ScanEntry, type TarEntryInfo } from '../abi-gate/index.js';
import { isAbsoluteOrDrive, LinkResolver, normalizeArchivePath, pathFindings, singleTopFolder, type ArchivePath } from '../release/index.js';
import { hasXattrKeys, isMacJunk, type StrippedCounts } from './tree.js';

const debug = createDebug('remote-ai:packager:extract');

/** Extracted files by absolute path: their scan, or null for a file that is no native binary. */
export type KnownScans = Map<string, ScanEntry | null>;

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

function safePathOrNull(raw: string): string | null {
  try {
    return safePath('', raw);
  } catch {
    return null;
  }
}

/** One extraction: the entries seen so far, and the rules each new one is held to. */
class Extraction {
  readonly kept: ArchivePath[] = [];
  readonly kinds = new Map<string, 'file' | 'directory' | 'symlink'>();
  // Entries are never written through a link (below), so an entry's place is its path; only
  // link targets need resolving through the links before them.
  private readonly links = new LinkResolver();
  /** The file being written, closed when its body ends (or by `close` when the read fails). */
  private open: number | null = null;

  constructor(
    private readonly dest: string,
    private readonly label: string,
    private readonly stripped: StrippedCounts,
    private readonly known: KnownScans,
  ) {}

  readonly onEntry = (entry: TarEntryInfo): ChunkObserver | 'skip' | undefined => {
    const { label } = this;
    if (hasXattrKeys(entry.pax)) this.stripped.xattrHeaders++;
    const path = safePath(label, entry.path);
    if (entry.type === 'char-device' || entry.type === 'block-device' || entry.type === 'fifo' || entry.type === 'other') {
      throw unsafe(label, entry.path, `is a ${entry.type === 'other' ? `type ${entry.typeflag} entry` : entry.type}`);
    }
    if (entry.type === 'symlink') this.checkSymlink(entry, path);
    const hardlinkSource = entry.type === 'hardlink' ? this.hardlinkSource(entry) : null;
    if (path === null || isMacJunk(path, this.stripped)) return 'skip';
    this.checkPlace(entry, path);
    this.kept.push({ path, directory: entry.type === 'directory' });

    const target = join(this.dest, ...path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    if (entry.type === 'directory') {
      mkdirSync(target, { recursive: true });
      this.kinds.set(path, 'directory');
      return undefined;
    }
    if (entry.type === 'symlink') {
      symlinkSync(entry.linkpath as string, target);
      this.kinds.set(path, 'symlink');
      this.links.addSymlink(path.split('/'), entry.linkpath as string);
      return undefined;
    }
    this.kinds.set(path, 'file');
    if (hardlinkSource !== null) {
      copyFileSync(join(this.dest, ...hardlinkSource.split('/')), target);
      return 'skip';
    }
    // Only permission bits that packing honours: executable or not. setuid/setgid never survive.
    const fd = openSync(target, 'wx', entry.mode & 0o111 ? 0o755 : 0o644);
    this.open = fd;
    return {
      onChunk: (chunk) => {
        writeSync(fd, chunk);
      },
      onEnd: (format) => {
        this.close();
        if (format === null) this.known.set(target, null);
      },
    };
  };

  /** Closes a file left open by a read that failed inside its body. */
  close(): void {
    if (this.open !== null) closeSync(this.open);
    this.open = null;
  }

  private checkSymlink(entry: TarEntryInfo, path: string | null): void {
    const target = entry.linkpath;
    const parent = (path ?? '').split('/').slice(0, -1);
    const resolved = target === null || isAbsoluteOrDrive(target) || target.includes('\0') ? null : this.links.resolve([...parent, ...target.split('/')], true);
    if (resolved?.kind !== 'path') throw unsafe(this.label, entry.path, `is a symlink to ${target ?? '<nothing>'}, outside the archive`);
  }

  private hardlinkSource(entry: TarEntryInfo): string {
    const source = entry.linkpath === null ? null : safePathOrNull(entry.linkpath);
    if (source === null || this.kinds.get(source) !== 'file') {
      throw unsafe(this.label, entry.path, `is a hard link to ${entry.linkpath ?? '<nothing>'}, which is no earlier file of the archive`);
    }
    return source;
  }

  /** Refuses a write through a link or file, and a path written twice. */
  private checkPlace(entry: TarEntryInfo, path: string): void {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      const kind = this.kinds.get(prefix);
      if (kind === 'symlink' || kind === 'file') throw unsafe(this.label, entry.path, `would be written through ${prefix}, which is not a folder`);
    }
    const existing = this.kinds.get(path);
    if (existing !== undefined && !(existing === 'directory' && entry.type === 'directory')) {
      throw unsafe(this.label, entry.path, 'appears twice; the second would silently replace the first');
    }
  }
}

/**
 * Extracts `tarball` into `dest`. Every extracted regular file lands in `known` (by absolute path):
 * its abi-gate scan when it is a native binary, null when it is not.
 */
export async function extractTarball(tarball: string, dest: string, label: string, stripped: StrippedCounts, known: KnownScans = new Map()): Promise<ExtractResult> {
  const extraction = new Extraction(dest, label, stripped, known);
  const collector = new TarBinaryCollector(tarball, {
    label,
    limits: LIMITS,
    reportPath: (info) => join(dest, ...normalizeArchivePath(info.path).split('/')),
    hooks: { entry: extraction.onEntry },
  });
  try {
    await collector.collect();
  } finally {
    extraction.close();
  }
  for (const scan of collector.binaries()) known.set(scan.path, scan);
  debug('%s: %d entries extracted to %s', label, extraction.kinds.size, dest);
  return { top: singleTopFolder(extraction.kept) };
}
