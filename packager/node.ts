/**
 * The Linux Node that goes into the release as `node`: from a binary, a node-v<V>-linux-<arch>
 * tarball, or a version downloaded from a mirror. Its version and NODE_MODULE_VERSION go into the
 * manifest.
 *
 * How a bare binary's version is found without running it (it may be built for another arch or
 * glibc than this machine): official builds embed process.release.headersUrl
 * (`.../node-v20.18.2-headers.tar.gz`) and the user agent `node.js/v20.18.2`; the binary is
 * searched for those in the same read that hashes it. NODE_MODULE_VERSION is a compile-time
 * integer with no reliable string form, so it comes from the node major (nodejs/node
 * doc/abi_version_registry.json).
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import createDebug from 'debug';
import { readTar, ToolError } from '../abi-gate/index.js';
import { expectedSha256, fetchVerified, type DownloadProgress } from './cache.js';
import type { Downloader } from './download.js';
import type { NodeFlavor, TargetArch } from './options.js';

const debug = createDebug('remote-ai:packager:node');

/** NODE_MODULE_VERSION per node major, from nodejs/node doc/abi_version_registry.json. */
export const NODE_MODULE_VERSIONS: Readonly<Record<number, number>> = {
  12: 72,
  13: 79,
  14: 83,
  15: 88,
  16: 93,
  17: 102,
  18: 108,
  19: 111,
  20: 115,
  21: 120,
  22: 127,
  23: 131,
  24: 137,
};

export const DEFAULT_MIRRORS: Readonly<Record<NodeFlavor, string>> = {
  official: 'https://nodejs.org/dist',
  'glibc-217': 'https://unofficial-builds.nodejs.org/download/release',
};

export type NodeSpec =
  | { kind: 'binary'; path: string }
  | { kind: 'tarball'; path: string; version: string; arch: TargetArch; flavor: NodeFlavor }
  | { kind: 'version'; version: string };

export interface ResolvedNode {
  /** Where the binary is on disk now (the staging copy for tarballs and downloads). */
  binary: string;
  version: string;
  moduleVersion: number;
  sha256: string;
  source: string;
  flavor: NodeFlavor | 'local';
}

export interface NodeContext {
  arch: TargetArch;
  flavor: NodeFlavor;
  mirror: string;
  cacheDir: string;
  downloader: Downloader;
  /** A private folder where the extracted binary may be written. */
  staging: string;
  onDownloadProgress?: DownloadProgress;
}

const TARBALL_NAME = /^node-v(\d+\.\d+\.\d+)-linux-(x64|arm64)(-glibc-217)?\.tar\.gz$/;

export function parseNodeSpec(raw: string, exists: boolean): NodeSpec {
  const name = basename(raw);
  const tarball = TARBALL_NAME.exec(name);
  if (tarball !== null && exists) {
    return {
      kind: 'tarball',
      path: raw,
      version: tarball[1] as string,
      arch: tarball[2] as TargetArch,
      flavor: tarball[3] === undefined ? 'official' : 'glibc-217',
    };
  }
  if (exists) {
    if (name.endsWith('.tar.gz') || name.endsWith('.tgz') || name.endsWith('.tar.xz')) {
      throw new ToolError('NODE_TARBALL_NAME', `--node ${raw}: cannot tell the version from the name`, {
        hint: 'keep the release name node-v<V>-linux-<arch>.tar.gz, or pass the bin/node binary',
      });
    }
    return { kind: 'binary', path: raw };
  }
  const version = /^v?(\d+\.\d+\.\d+)$/.exec(raw);
  if (version !== null) return { kind: 'version', version: version[1] as string };
  throw new ToolError('NODE_MISSING', `--node ${raw}: no such file, and not a version like 20.18.2`, {
    hint: 'pass a node binary, a node-v<V>-linux-<arch>.tar.gz or a version',
  });
}

export function moduleVersionOf(version: string): number {
  const major = Number(version.split('.')[0]);
  const moduleVersion = NODE_MODULE_VERSIONS[major];
  if (moduleVersion === undefined) {
    throw new ToolError('NODE_MODULE_VERSION_UNKNOWN', `node ${version}: NODE_MODULE_VERSION of node ${major} is not known to this packager`, {
      hint: `use node ${Object.keys(NODE_MODULE_VERSIONS).join(', ')} or update packager`,
    });
  }
  return moduleVersion;
}

export const VERSION_PATTERNS = [/node-v(\d+\.\d+\.\d+)-headers\.tar\.gz/, /node\.js\/v(\d+\.\d+\.\d+)/];
/**
 * A literal part of each pattern, found with Buffer#indexOf (memmem speed) before the pattern
 * runs on the few bytes around it: a regex over the whole binary as latin1 text costs more than
 * hashing it.
 */
const VERSION_ANCHORS = [
  { needle: Buffer.from('-headers.tar.gz'), before: 32, after: 15 },
  { needle: Buffer.from('node.js/v'), before: 0, after: 32 },
] as const;
const OVERLAP = 64;

function findVersion(bytes: Buffer, which: number): string | null {
  const anchor = VERSION_ANCHORS[which];
  const pattern = VERSION_PATTERNS[which];
  if (anchor === undefined || pattern === undefined) return null;
  for (let at = bytes.indexOf(anchor.needle); at !== -1; at = bytes.indexOf(anchor.needle, at + 1)) {
    const around = bytes.subarray(Math.max(0, at - anchor.before), at + anchor.after).toString('latin1');
    const match = pattern.exec(around);
    if (match !== null) return match[1] ?? null;
  }
  return null;
}

/** Hashes a binary and finds the version strings official builds carry, in one read. */
export async function inspectBinary(path: string): Promise<{ sha256: string; version: string | null }> {
  const hash = createHash('sha256');
  const found: Array<string | null> = VERSION_PATTERNS.map(() => null);
  // One buffer for the whole read: a fresh 1 MiB per chunk of a 100 MB binary lingers until GC
  // and shows as tens of MB of peak RSS.
  const buffer = Buffer.allocUnsafe(1 << 20);
  let tail = Buffer.alloc(0);
  const handle = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      if (found.every((v) => v !== null)) continue;
      // A string cut by the chunk boundary is whole in the previous tail plus this chunk's start.
      const seam = Buffer.concat([tail, chunk.subarray(0, OVERLAP)]);
      for (let i = 0; i < found.length; i++) found[i] ??= findVersion(seam, i) ?? findVersion(chunk, i);
      tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - OVERLAP)));
    }
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), version: found.find((v) => v !== null) ?? null };
}

/** Copies `<top>/bin/node` out of a node release tarball. */
async function extractNodeBinary(tarball: string, dest: string): Promise<void> {
  let found = false;
  await readTar(
    tarball,
    async (entry, body) => {
      const path = entry.path.replace(/^\.\//, '');
      if (found || entry.type !== 'file' || !/^[^/]+\/bin\/node$/.test(path)) return body.skip();
      const handle = await open(dest, 'wx', 0o755);
      try {
        for await (const chunk of body) await handle.write(chunk);
      } finally {
        await handle.close();
      }
      found = true;
    },
    { label: tarball, requireGzip: true },
  );
  if (!found) {
    throw new ToolError('NODE_TARBALL_EMPTY', `${tarball} holds no <folder>/bin/node`, { hint: 'pass an official node-v<V>-linux-<arch>.tar.gz' });
  }
}

export async function resolveNode(spec: NodeSpec, context: NodeContext): Promise<ResolvedNode> {
  if (spec.kind === 'binary') {
    const { sha256, version } = await inspectBinary(spec.path);
    if (version === null) {
      throw new ToolError('NODE_VERSION_UNKNOWN', `--node ${spec.path}: found no node version string in the binary`, {
        hint: 'pass the official node-v<V>-linux-<arch>.tar.gz or a version instead',
      });
    }
    return { binary: spec.path, version, moduleVersion: moduleVersionOf(version), sha256, source: spec.path, flavor: 'local' };
  }
  let tarball: string;
  let source: string;
  let flavor: NodeFlavor;
  let version: string;
  if (spec.kind === 'tarball') {
    if (spec.arch !== context.arch) {
      throw new ToolError('NODE_WRONG_ARCH', `--node ${spec.path} is a linux-${spec.arch} build, but --arch is ${context.arch}`, {
        hint: `pass node-v${spec.version}-linux-${context.arch}.tar.gz`,
      });
    }
    ({ path: tarball, path: source, flavor, version } = spec);
  } else {
    flavor = context.flavor;
    version = spec.version;
    if (flavor === 'glibc-217' && context.arch !== 'x64') {
      throw new ToolError('NODE_FLAVOR_ARCH', `--node-flavor glibc-217 exists for x64 only, not ${context.arch}`, {
        hint: 'use --node-flavor official for arm64',
      });
    }
    const file = `node-v${version}-linux-${context.arch}${flavor === 'glibc-217' ? '-glibc-217' : ''}.tar.gz`;
    const base = `${context.mirror.replace(/\/+$/, '')}/v${version}`;
    source = `${base}/${file}`;
    const sha256 = await expectedSha256(context.downloader, `${base}/SHASUMS256.txt`, file);
    tarball = await fetchVerified(context.downloader, source, sha256, context.cacheDir, context.onDownloadProgress);
  }
  const binary = join(context.staging, 'node');
  await extractNodeBinary(tarball, binary);
  const inspected = await inspectBinary(binary);
  if (inspected.version !== null && inspected.version !== version) {
    throw new ToolError('NODE_VERSION_MISMATCH', `${source} is named for node ${version}, but its binary says ${inspected.version}`, {
      hint: 'the tarball was renamed or repacked: fetch the release again',
    });
  }
  debug('node %s from %s (%d bytes)', version, source, (await stat(binary)).size);
  return { binary, version, moduleVersion: moduleVersionOf(version), sha256: inspected.sha256, source, flavor };
}
