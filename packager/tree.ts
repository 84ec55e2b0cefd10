/**
 * The release as a tree of paths, assembled from the server folder and the overlays before a
 * single byte is packed. Files stay where they are on disk (`source`); only generated files are
 * written to the staging folder.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ToolError } from '../abi-gate/index.js';
import { isXattrPaxKey, macLitterOf } from '../release/index.js';

export type TreeNode =
  | { type: 'directory' }
  | { type: 'file'; source: string; size: number; executable: boolean }
  | { type: 'symlink'; target: string };

/** What was left out because macOS put it there: counted for the report. */
export interface StrippedCounts {
  appleDouble: number;
  macosx: number;
  dsStore: number;
  /** Tar entries whose pax header carried LIBARCHIVE.xattr.* / SCHILY.xattr.* keys. */
  xattrHeaders: number;
}

export function emptyStripped(): StrippedCounts {
  return { appleDouble: 0, macosx: 0, dsStore: 0, xattrHeaders: 0 };
}

export function strippedTotal(counts: StrippedCounts): number {
  return counts.appleDouble + counts.macosx + counts.dsStore + counts.xattrHeaders;
}

/** macOS litter is left out of a release (release/entries.ts says what it is); counts it. */
export function isMacJunk(path: string, counts: StrippedCounts): boolean {
  const litter = macLitterOf(path);
  if (litter !== null) counts[litter]++;
  return litter !== null;
}

export function hasXattrKeys(pax: Record<string, string>): boolean {
  return Object.keys(pax).some(isXattrPaxKey);
}

export class ServerTree {
  private readonly nodes = new Map<string, TreeNode>();

  get(path: string): TreeNode | undefined {
    return this.nodes.get(path);
  }

  has(path: string): boolean {
    return this.nodes.has(path);
  }

  /** Adds or replaces a node, creating its parent folders. */
  set(path: string, node: TreeNode): void {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const existing = this.nodes.get(parent);
      if (existing === undefined) this.nodes.set(parent, { type: 'directory' });
      else if (existing.type !== 'directory') {
        throw new ToolError('TREE_CONFLICT', `${path} cannot be placed: ${parent} is a ${existing.type}, not a folder`, {
          hint: 'lay overlays out by path relative to the server root',
        });
      }
    }
    this.nodes.set(path, node);
  }

  /** Removes a node and everything below it. */
  delete(path: string): void {
    this.nodes.delete(path);
    const prefix = `${path}/`;
    for (const key of [...this.nodes.keys()]) if (key.startsWith(prefix)) this.nodes.delete(key);
  }

  /** Removes a node and then each parent folder it leaves empty (a pruned prebuild's folder). */
  deleteWithEmptyParents(path: string): void {
    this.delete(path);
    const parts = path.split('/');
    for (let i = parts.length - 1; i > 0; i--) {
      const parent = parts.slice(0, i).join('/');
      const prefix = `${parent}/`;
      for (const key of this.nodes.keys()) if (key.startsWith(prefix)) return;
      this.nodes.delete(parent);
    }
  }

  /** Every path in archive order: a folder, then its children sorted by bytes (GNU tar --sort=name). */
  sortedPaths(): string[] {
    // With '/' as NUL (a byte no name holds), one byte comparison of whole paths orders them as
    // a part-by-part comparison would: a folder before its children, `a/b` before `a-c`.
    const keyed = [...this.nodes.keys()].map((path) => ({ path, key: Buffer.from(path.replaceAll('/', '\0')) }));
    keyed.sort((a, b) => Buffer.compare(a.key, b.key));
    return keyed.map((entry) => entry.path);
  }

  *files(): Generator<[string, Extract<TreeNode, { type: 'file' }>]> {
    for (const [path, node] of this.nodes) if (node.type === 'file') yield [path, node];
  }

  get size(): number {
    return this.nodes.size;
  }
}

export interface WalkOptions {
  /** What the folder is called in messages (`--server`, `--native`). */
  label: string;
  stripped: StrippedCounts;
  allowSymlinks: boolean;
}

/**
 * Reads a folder into `tree` (paths relative to `root`). Refuses devices, FIFOs and sockets here;
 * where links lead is judged once the whole release is assembled (build.ts, with the release
 * module's EntryWalk, as doctor judges it).
 *
 * Synchronous calls on purpose: a server has thousands of files, and an awaited lstat per file is
 * a threadpool round trip that costs ~20x the syscall (1 s instead of 50 ms on the bench tree);
 * nothing else runs while the tree is read.
 */
export async function walkFolder(root: string, tree: ServerTree, options: WalkOptions): Promise<void> {
  const walk = (dir: string, rel: string): void => {
    const names = readdirSync(dir);
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (isMacJunk(path, options.stripped)) continue;
      const abs = join(dir, name);
      const stats = lstatSync(abs);
      if (stats.isDirectory()) {
        tree.set(path, { type: 'directory' });
        walk(abs, path);
      } else if (stats.isFile()) {
        tree.set(path, { type: 'file', source: abs, size: stats.size, executable: (stats.mode & 0o111) !== 0 });
      } else if (stats.isSymbolicLink()) {
        const target = readlinkSync(abs);
        if (!options.allowSymlinks) {
          throw new ToolError('UNSAFE_SYMLINK', `${options.label} ${abs} is a symlink; overlays must hold regular files`, {
            hint: 'copy the file itself into the overlay',
          });
        }
        tree.set(path, { type: 'symlink', target });
      } else {
        throw new ToolError('UNSUPPORTED_FILE', `${options.label} ${abs} is a device, FIFO or socket`, {
          hint: 'remove it from the server folder',
        });
      }
    }
  };
  walk(root, '');
}
