import { readdirSync, statSync, type Dirent } from 'node:fs';
import createDebug from 'debug';
import { isScanned } from './check.js';
import { highestKernel } from './elf/abi-tag.js';
import { ToolError } from './errors.js';
import { maxRequires } from './requirements.js';
import { scanFile } from './scan-file.js';
import { ScanTree, folderReportPath } from './scan-tree.js';
import { singleTopFolder, stripTopFolder } from './top-folder.js';
import type { ScanEntry, ScanReport } from './types.js';

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
  const { TarBinaryCollector } = await import('./scan-stream.js');
  const strip = (path: string): string => path.replace(/^(\.\/)+/, '');
  const collector = new TarBinaryCollector(tarball, {
    reportPath: (info) => `${tarball}:${strip(info.path)}`,
    hooks: {
      entry: (info) => {
        if (info.type === 'file' || info.type === 'symlink' || info.type === 'hardlink') seen.push(strip(info.path));
        return undefined;
      },
    },
  });
  try {
    await collector.collect();
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    found.push({ path: tarball, format: null, error: error.message });
  }
  found.push(...collector.binaries());
  for (const path of seen) add(path);
  // A release tarball has one top folder; index its paths without it too, so callers that think
  // in paths relative to the installed folder find them.
  const top = singleTopFolder(seen.map((path) => ({ path, directory: false })));
  if (top !== null) for (const path of seen) add(stripTopFolder(path, top) ?? path);
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
