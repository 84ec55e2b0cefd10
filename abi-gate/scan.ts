import { readdirSync, statSync, type Dirent } from 'node:fs';
import { posix } from 'node:path';
import createDebug from 'debug';
import { isScanned } from './check.js';
import { highestKernel } from './elf/abi-tag.js';
import { ToolError } from './errors.js';
import { FORMAT_SNIFF_BYTES, detectFormat } from './format.js';
import { maxRequires } from './requirements.js';
import { RetainedChunks } from './scan-retain.js';
import type { EntryBody } from './tar/types.js';
import { scanFile, scanSource } from './scan-file.js';
import { ScanTree, folderReportPath } from './scan-tree.js';
import type { ByteSource, ScanEntry, ScanReport } from './types.js';

const debug = createDebug('remote-ai:abi-gate:scan');

const TARBALL = /\.(tar\.gz|tgz|tar)$/;

export interface ScanOptions {
  /** Called for each binary as it is scanned (e.g. a progress display). */
  onFile?: (entry: ScanEntry) => void;
}

/**
 * Scans files, folders (recursively, symlinks listed but not followed) and tarballs (`.tar.gz`,
 * `.tgz`, `.tar`: one streaming pass, nothing extracted) and reports every ELF, Mach-O and PE
 * file found, in path order per argument. Report paths: see ScanTree. A path that does not
 * exist is a usage error (ToolError, exit 2); a file or tarball that cannot be read is an
 * entry with `error`, and the scan goes on.
 */
export async function scanPaths(paths: readonly string[], options: ScanOptions = {}): Promise<ScanReport> {
  const tree = new ScanTree();
  const files: ScanEntry[] = [];
  for (const arg of paths) {
    const root = arg === '.' || arg === './' ? '' : arg.replace(/\/+$/, '') || '/';
    let isDir: boolean;
    try {
      isDir = statSync(arg).isDirectory();
    } catch (error) {
      throw new ToolError('SCAN_MISSING', `${arg}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : `cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`}`, {
        hint: 'pass an existing file, folder or .tar.gz',
      });
    }
    const found: ScanEntry[] = isDir
      ? scanFolder(root, tree)
      : TARBALL.test(arg)
        ? await scanTarball(arg, tree)
        : scanSingle(arg, tree);
    for (const entry of found) options.onFile?.(entry);
    files.push(...found);
  }
  const scanned = files.filter(isScanned);
  return { files, summary: { requires: maxRequires(scanned.map((f) => f.requires)), minKernel: highestKernel(scanned.map((f) => f.minKernel)) }, tree };
}

/**
 * Reads one tar entry's body: sniffs its first FORMAT_SNIFF_BYTES and keeps the chunks of a native
 * binary (for an ELF, only the parts its scan is expected to read when `sparse`); null for
 * anything else.
 */
async function readBinary(size: number, body: EntryBody, sparse: boolean): Promise<RetainedChunks | null> {
  let head: Buffer[] = [];
  let have = 0;
  let kept: RetainedChunks | null = null;
  let binary: boolean | null = null;
  await body.forEach((chunk) => {
    if (kept !== null) {
      kept.push(chunk);
      return;
    }
    if (binary === false) return;
    head.push(chunk);
    have += chunk.length;
    if (have < FORMAT_SNIFF_BYTES && have < size) return;
    const detected = detectFormat(head.length === 1 ? chunk : Buffer.concat(head, have));
    binary = detected !== null;
    if (detected !== null) {
      kept = new RetainedChunks(size, sparse && detected.format === 'elf');
      for (const piece of head) kept.push(piece);
    }
    head = [];
  });
  return kept;
}

function scanSingle(path: string, tree: ScanTree): ScanEntry[] {
  tree.addFile(path);
  const entry = scanFile(path);
  if (entry === null) debug('%s: not a native binary, ignored', path);
  return entry === null ? [] : [entry];
}

function scanFolder(root: string, tree: ScanTree): ScanEntry[] {
  const add = tree.addRoot(root, '/');
  const found: ScanEntry[] = [];
  const walk = (relative: string): void => {
    const dir = folderReportPath(root, relative) || '.';
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      found.push({ path: dir, format: null, error: `cannot read folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? 'error'}` });
      return;
    }
    for (const dirent of entries) {
      const rel = relative === '' ? dirent.name : `${relative}/${dirent.name}`;
      if (dirent.isDirectory()) walk(rel);
      else if (dirent.isSymbolicLink()) add(rel);
      else if (dirent.isFile()) {
        add(rel);
        const entry = scanFile(folderReportPath(root, rel));
        if (entry !== null) found.push(entry);
      }
    }
  };
  walk('');
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function scanTarball(tarball: string, tree: ScanTree): Promise<ScanEntry[]> {
  const add = tree.addRoot(tarball, ':');
  const found: ScanEntry[] = [];
  const seen: string[] = [];
  /** Tar offsets of ELF entries whose scan needed a byte that was not kept. */
  const missed = new Set<number>();
  const { readTar } = await import('./tar/read-tar.js');
  const onBinary = (path: string, offset: number, source: ByteSource & { missed?: boolean }): void => {
    const entry = scanSource(source, `${tarball}:${path}`);
    if (source.missed === true) missed.add(offset);
    else if (entry !== null) found.push(entry);
  };
  try {
    await readTar(tarball, (info, body) => {
      const path = info.path.replace(/^(\.\/)+/, '');
      if (info.type === 'file' || info.type === 'symlink' || info.type === 'hardlink') seen.push(path);
      if (info.type !== 'file' || info.size === 0) return undefined;
      return readBinary(info.size, body, true).then((kept) => {
        if (kept !== null) onBinary(path, info.offset, kept.source());
      });
    });
    if (missed.size > 0) {
      debug('%s: %d binaries need a second pass with every byte kept', tarball, missed.size);
      await readTar(tarball, (info, body) => {
        if (!missed.has(info.offset)) return undefined;
        return readBinary(info.size, body, false).then((kept) => {
          if (kept !== null) onBinary(info.path.replace(/^(\.\/)+/, ''), info.offset, kept.source());
        });
      });
    }
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    found.push({ path: tarball, format: null, error: error.message });
  }
  for (const path of seen) add(path);
  // A release tarball has one top folder; index its paths without it too, so callers that think
  // in paths relative to the installed folder find them.
  const tops = new Set(seen.map((p) => p.split('/')[0]));
  const [top] = tops;
  if (tops.size === 1 && top !== undefined && seen.every((p) => p.startsWith(`${top}/`))) {
    for (const path of seen) add(posix.relative(top, path));
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
