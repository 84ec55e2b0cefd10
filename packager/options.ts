/**
 * Build options as callers pass them (CLI or library), checked once here and turned into a fully
 * typed object the rest of the build trusts.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ToolError, type ToolErrorCode } from '../abi-gate/index.js';
import { COMMIT, isTargetArch, RELEASE_NAME, type TargetArch } from '../release/index.js';
import { defaultCacheDir } from './cache.js';
import type { Downloader } from './download.js';
import { FetchDownloader } from './download.js';
import { DEFAULT_MIRRORS, parseNodeSpec, type NodeFlavor, type NodeSpec } from './node.js';

export type { NodeFlavor };

export type BuildProgress =
  | { phase: 'download'; url: string; received: number; total: number | null }
  | { phase: 'pack'; packed: number; total: number };

export interface BuildOptions {
  /** A server folder or .tar.gz. */
  server: string;
  /** 40 lowercase hex digits. */
  commit: string;
  arch?: string;
  /** Default `dist`. */
  out?: string;
  /** Default `remote-ai-server`. */
  name?: string;
  /** Binary path, node-v<V>-linux-<arch>.tar.gz path, or version. Default: the server's own `node`. */
  node?: string;
  nodeMirror?: string;
  nodeFlavor?: string;
  native?: readonly string[];
  allowNew?: boolean;
  pruneForeign?: boolean;
  /** Policy name, policy JSON file, or `none`. Default `centos7`. */
  policy?: string;
  /** Seconds since the epoch; default SOURCE_DATE_EPOCH from `env`, else 2000-01-01. */
  sourceDateEpoch?: number;
  cacheDir?: string;
  /** Environment for SOURCE_DATE_EPOCH, the cache folder and proxies. Default: none of them. */
  env?: Readonly<Record<string, string | undefined>>;
  downloader?: Downloader;
  onProgress?: (progress: BuildProgress) => void;
  /** Aborts the build (the CLI's SIGINT/SIGTERM): it stops at the next phase and removes what it wrote. */
  signal?: AbortSignal;
}

export interface ResolvedOptions {
  server: { path: string; kind: 'folder' | 'tarball' };
  commit: string;
  arch: TargetArch;
  out: string;
  name: string;
  node: NodeSpec | null;
  nodeMirror: string;
  nodeFlavor: NodeFlavor;
  native: Array<{ path: string; kind: 'folder' | 'tarball' }>;
  allowNew: boolean;
  pruneForeign: boolean;
  policy: string;
  sourceDateEpoch: number;
  cacheDir: string;
  downloader: Downloader;
  onProgress: (progress: BuildProgress) => void;
}

/** 2000-01-01T00:00:00Z: a fixed default keeps builds reproducible without SOURCE_DATE_EPOCH. */
export const DEFAULT_SOURCE_DATE_EPOCH = 946684800;

function usage(code: ToolErrorCode, message: string, hint: string): ToolError {
  return new ToolError(code, message, { hint, exitCode: 2 });
}

async function inputKind(flag: string, path: string): Promise<'folder' | 'tarball'> {
  const stats = await stat(path).catch(() => null);
  if (stats === null) throw usage('INPUT_MISSING', `${flag} ${path}: no such file or folder`, 'check the path');
  if (stats.isDirectory()) return 'folder';
  if (stats.isFile() && /\.(tar\.gz|tgz)$/.test(path)) return 'tarball';
  throw usage('INPUT_KIND', `${flag} ${path}: neither a folder nor a .tar.gz`, 'pass the build folder or its .tar.gz');
}

function sourceDateEpoch(options: BuildOptions): number {
  const raw = options.sourceDateEpoch ?? options.env?.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return DEFAULT_SOURCE_DATE_EPOCH;
  const value = typeof raw === 'number' ? raw : /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 0 || value > 0o77777777777) {
    throw usage('BAD_SOURCE_DATE_EPOCH', `SOURCE_DATE_EPOCH ${String(raw)} is not a number of seconds`, 'set it to e.g. $(git log -1 --format=%ct)');
  }
  return value;
}

export async function resolveOptions(options: BuildOptions): Promise<ResolvedOptions> {
  const commit = options.commit;
  if (!COMMIT.test(commit)) {
    throw usage('BAD_COMMIT', `--commit ${JSON.stringify(commit)} is not 40 lowercase hex digits`, 'pass the full commit of the server build');
  }
  const arch = options.arch ?? 'x64';
  if (!isTargetArch(arch)) throw usage('BAD_ARCH', `--arch ${arch} is not supported`, 'use x64 or arm64');
  const name = options.name ?? 'remote-ai-server';
  if (!RELEASE_NAME.test(name)) {
    throw usage('BAD_NAME', `--name ${JSON.stringify(name)} is not a plain file name`, 'use letters, digits, ".", "_" and "-"');
  }
  const flavor = options.nodeFlavor ?? 'official';
  if (flavor !== 'official' && flavor !== 'glibc-217') {
    throw usage('BAD_NODE_FLAVOR', `--node-flavor ${flavor} is not known`, 'use official or glibc-217');
  }
  const server = resolve(options.server);
  const native: ResolvedOptions['native'] = [];
  for (const path of options.native ?? []) native.push({ path: resolve(path), kind: await inputKind('--native', resolve(path)) });
  let node: NodeSpec | null = null;
  if (options.node !== undefined) {
    const path = resolve(options.node);
    const exists = (await stat(path).catch(() => null))?.isFile() === true;
    node = parseNodeSpec(exists ? path : options.node, exists);
  }
  const env = options.env ?? {};
  return {
    server: { path: server, kind: await inputKind('--server', server) },
    commit,
    arch,
    out: resolve(options.out ?? 'dist'),
    name,
    node,
    nodeMirror: options.nodeMirror ?? DEFAULT_MIRRORS[flavor],
    nodeFlavor: flavor,
    native,
    allowNew: options.allowNew ?? false,
    pruneForeign: options.pruneForeign ?? false,
    policy: options.policy ?? 'centos7',
    sourceDateEpoch: sourceDateEpoch(options),
    cacheDir: options.cacheDir ?? defaultCacheDir(env),
    downloader: options.downloader ?? new FetchDownloader({ env }),
    onProgress: options.onProgress ?? (() => undefined),
  };
}
