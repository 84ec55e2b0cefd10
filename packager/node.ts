/**
 * The Linux Node that goes into the release as `node`: from a binary, a node-v<V>-linux-<arch>
 * tarball, or a version downloaded from a mirror. Its version and NODE_MODULE_VERSION go into the
 * manifest. A bare binary's version is read from its bytes (release/node-version.ts) in the same
 * read that hashes it.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import createDebug from 'debug';
import { readTar, ToolError } from '../abi-gate/index.js';
import { dropTopFolder, moduleVersionOf, NodeVersionFinder, type TargetArch } from '../release/index.js';
import { expectedSha256, fetchVerified, type DownloadProgress } from './cache.js';
import type { Downloader } from './download.js';

const debug = createDebug('remote-ai:packager:node');

/** A Node build of the official project or the unofficial glibc 2.17 one (x64 only). */
export type NodeFlavor = 'official' | 'glibc-217';

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

/** Hashes a binary and finds the version strings official builds carry, in one read. */
export async function inspectBinary(path: string): Promise<{ sha256: string; version: string | null }> {
  const hash = createHash('sha256');
  const finder = new NodeVersionFinder();
  // One buffer for the whole read: a fresh 1 MiB per chunk of a 100 MB binary lingers until GC
  // and shows as tens of MB of peak RSS.
  const buffer = Buffer.allocUnsafe(1 << 20);
  const handle = await open(path, 'r');
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      finder.push(chunk);
    }
  } finally {
    await handle.close();
  }
  return { sha256: hash.digest('hex'), version: finder.version };
}

/** Copies `<top>/bin/node` out of a node release tarball. */
async function extractNodeBinary(tarball: string, dest: string): Promise<void> {
  let found = false;
  await readTar(
    tarball,
    async (entry, body) => {
      if (found || entry.type !== 'file' || dropTopFolder(entry.path) !== 'bin/node') return body.skip();
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
