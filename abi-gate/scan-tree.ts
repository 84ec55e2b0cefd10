import { statSync } from 'node:fs';
import { posix } from 'node:path';
import type { TreeIndex } from './types.js';

/** Where a report path lives: the index of its root and its path inside that root. */
export interface TreeLocation {
  index: TreeIndex;
  path: string;
  /** Turns a path inside the same root back into a report path. */
  toReport(path: string): string;
}

/** A tree index that can also place a report path in its root (abi-gate's ScanTree). */
export interface LocatingTreeIndex extends TreeIndex {
  locate(reportPath: string): TreeLocation | null;
}

export function isLocating(tree: TreeIndex): tree is LocatingTreeIndex {
  return typeof (tree as Partial<LocatingTreeIndex>).locate === 'function';
}

/** Paths of one scanned folder or tarball, relative to it. */
class RootPaths implements TreeIndex {
  readonly paths = new Set<string>();
  has(path: string): boolean {
    return this.paths.has(path);
  }
}

/** A single scanned file: its neighbours on disk answer, so `$ORIGIN/lib` works for a file too. */
class DiskPaths implements TreeIndex {
  has(path: string): boolean {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  }
}

interface Root {
  /** Report paths of this root start with `prefix + joiner` (folder '/', tarball ':'). */
  prefix: string;
  joiner: string;
  index: TreeIndex;
}

/**
 * The tree index of a scan over several roots. `has(path)` answers for paths relative to any
 * root (the contract of ScanReport.tree); `locate` keeps roots apart for the check, so a
 * library in one tarball never satisfies a file in another.
 *
 * Report paths: a folder's files are `<folder>/<relative path>`; a tarball's entries are
 * `<tarball>:<entry path>` (the entry path as in the archive, without a leading `./`); a file
 * argument is reported as given.
 */
export class ScanTree implements LocatingTreeIndex {
  private readonly roots: Root[] = [];
  private readonly all = new Set<string>();

  /** Starts a folder (joiner '/') or tarball (joiner ':') root; returns the adder for its paths. */
  addRoot(prefix: string, joiner: '/' | ':'): (relativePath: string) => void {
    const index = new RootPaths();
    this.roots.push({ prefix, joiner, index });
    this.roots.sort((a, b) => b.prefix.length - a.prefix.length);
    return (relativePath: string) => {
      index.paths.add(relativePath);
      this.all.add(relativePath);
    };
  }

  addFile(reportPath: string): void {
    this.roots.push({ prefix: reportPath, joiner: '', index: new DiskPaths() });
    this.roots.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  has(path: string): boolean {
    return this.all.has(path);
  }

  locate(reportPath: string): TreeLocation | null {
    for (const root of this.roots) {
      if (root.joiner === '') {
        if (reportPath === root.prefix) return { index: root.index, path: reportPath, toReport: (p) => p };
        continue;
      }
      const head = root.prefix === '' ? '' : root.prefix + root.joiner;
      if (!reportPath.startsWith(head)) continue;
      return { index: root.index, path: reportPath.slice(head.length), toReport: (p) => head + p };
    }
    return null;
  }
}

/** The report path of a file inside a folder root. */
export function folderReportPath(root: string, relativePath: string): string {
  return root === '' ? relativePath : posix.join(root, relativePath);
}
