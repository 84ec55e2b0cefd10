/**
 * `--native` overlays: Linux builds of native modules laid out by path relative to the server
 * root. Each file must be a glibc Linux ELF of the target arch and replace a file the server has
 * (unless --allow-new): a typo in a path must not silently ship the macOS build next to it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isScanned, scanFile, ToolError } from '../abi-gate/index.js';
import { foreignReason } from './binaries.js';
import { extractTarball, type KnownScans } from './extract.js';
import type { TargetArch } from '../release/index.js';
import type { ResolvedOptions } from './options.js';
import { ServerTree, walkFolder, type StrippedCounts } from './tree.js';

export interface NativeChange {
  path: string;
  action: 'replaced' | 'added';
  /** The --native folder or tarball it came from. */
  from: string;
}

/** Why `path` cannot run on a glibc Linux of `arch`, or null when it can. */
function refusal(path: string, arch: TargetArch): string | null {
  const entry = scanFile(path);
  if (entry === null) return 'is not a native binary';
  if (!isScanned(entry)) return `cannot be read: ${String(entry.error)}`;
  if (entry.format !== 'elf') return `is a ${entry.format === 'macho' ? 'Mach-O' : 'PE'} binary, not a Linux ELF`;
  const reason = foreignReason(entry, arch);
  return reason === null ? null : `is an ${reason}`;
}

/** The overlaid node must run on the target: a macOS, Windows, musl or wrong-arch node is refused. */
export function checkNodeBinary(path: string, label: string, arch: TargetArch): void {
  const reason = refusal(path, arch);
  if (reason !== null) {
    throw new ToolError('NODE_REFUSED', `node from ${label} ${reason}`, { hint: `pass a Linux ${arch} node (node-v<V>-linux-${arch})` });
  }
}

export async function applyNatives(tree: ServerTree, opts: ResolvedOptions, staging: string, stripped: StrippedCounts, known: KnownScans): Promise<NativeChange[]> {
  const changes: NativeChange[] = [];
  for (const [index, native] of opts.native.entries()) {
    let root = native.path;
    if (native.kind === 'tarball') {
      root = join(staging, `native-${index}`);
      await mkdir(root);
      await extractTarball(native.path, root, `--native ${native.path}`, stripped, known);
    }
    const overlay = new ServerTree();
    await walkFolder(root, overlay, { label: '--native', stripped, allowSymlinks: false });
    for (const [path, node] of overlay.files()) {
      const reason = refusal(node.source, opts.arch);
      if (reason !== null) {
        throw new ToolError('NATIVE_REFUSED', `--native ${native.path}: ${path} ${reason}`, {
          hint: `overlays hold Linux ${opts.arch} glibc builds of native modules only`,
        });
      }
      const existing = tree.get(path);
      if (existing === undefined && !opts.allowNew) {
        throw new ToolError('NATIVE_NEW', `--native ${native.path}: ${path} does not exist in the server`, {
          hint: 'check the path (relative to the server root), or pass --allow-new to add it',
        });
      }
      if (existing !== undefined && existing.type !== 'file') {
        throw new ToolError('NATIVE_CONFLICT', `--native ${native.path}: ${path} is a ${existing.type} in the server, not a file`, {
          hint: 'check the path relative to the server root',
        });
      }
      tree.set(path, { ...node, executable: node.executable || existing?.executable === true });
      changes.push({ path, action: existing === undefined ? 'added' : 'replaced', from: native.path });
    }
  }
  return changes;
}
