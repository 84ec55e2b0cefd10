/**
 * Node downloads, verified against the mirror's SHASUMS256.txt and kept in a content-addressed
 * cache (`<cache>/blobs/sha256-<hex>`), written by atomic rename (release/atomic-write.ts) so a
 * crashed download never leaves a half file under a valid name.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import createDebug from 'debug';
import { ToolError } from '../abi-gate/index.js';
import { replaceAtomically } from '../release/index.js';
import type { Downloader } from './download.js';
import { sha256OfFile } from './publish.js';

const debug = createDebug('remote-ai:packager:cache');

/** SHASUMS256.txt of a Node release is a few KB; anything far larger is not one. */
const MAX_SHASUMS_BYTES = 1024 * 1024;

export type DownloadProgress = (received: number, total: number | null) => void;

/** `--cache-dir`, else REMOTE_AI_CACHE, else $XDG_CACHE_HOME/remote-ai-server, else ~/.cache/remote-ai-server. */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>>): string {
  const explicit = env.REMOTE_AI_CACHE;
  if (explicit !== undefined && explicit !== '') return explicit;
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'remote-ai-server');
}

/** The expected sha256 of `file` according to a SHASUMS256.txt (`<64 hex>  <name>` lines). */
export async function expectedSha256(downloader: Downloader, shasumsUrl: string, file: string): Promise<string> {
  const { body } = await downloader.get(shasumsUrl);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    bytes += buffer.length;
    if (bytes > MAX_SHASUMS_BYTES) {
      body.destroy();
      throw new ToolError('SHASUMS_TOO_LARGE', `${shasumsUrl} is larger than ${MAX_SHASUMS_BYTES} bytes`, { hint: 'check --node-mirror' });
    }
    chunks.push(buffer);
  }
  for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
    const match = /^([0-9a-fA-F]{64}) [ *]?(.+?)\s*$/.exec(line);
    if (match !== null && match[2] === file) return (match[1] as string).toLowerCase();
  }
  throw new ToolError('CHECKSUM_MISSING', `${shasumsUrl} has no line for ${file}; refusing an unverifiable download`, {
    hint: 'check the version, --node-flavor and --node-mirror',
  });
}

/**
 * Returns the path of a cached copy of `url` whose sha256 is `sha256`, downloading it when the
 * cache lacks it. A cached blob that no longer matches its name is discarded and fetched again.
 */
export async function fetchVerified(
  downloader: Downloader,
  url: string,
  sha256: string,
  cacheDir: string,
  onProgress?: DownloadProgress,
): Promise<string> {
  const blobs = join(cacheDir, 'blobs');
  const target = join(blobs, `sha256-${sha256}`);
  const cached = await stat(target).catch(() => null);
  if (cached?.isFile() === true) {
    if ((await sha256OfFile(target)) === sha256) {
      debug('cache hit %s', target);
      return target;
    }
    debug('cache blob %s is corrupt; fetching again', target);
    await rm(target, { force: true });
  }
  try {
    await mkdir(blobs, { recursive: true });
  } catch (error) {
    throw new ToolError('CACHE_UNWRITABLE', `cannot create the download cache ${blobs}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      hint: 'pass --cache-dir or set REMOTE_AI_CACHE to a writable folder',
    });
  }
  const { body, size } = await downloader.get(url);
  const hash = createHash('sha256');
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      received += chunk.length;
      onProgress?.(received, size);
      callback(null, chunk);
    },
  });
  // A half download or a mismatch never sits in the cache under the blob's name.
  await replaceAtomically(target, async (temp) => {
    try {
      await pipeline(body, meter, createWriteStream(temp, { flags: 'wx' }));
    } catch (error) {
      throw new ToolError('DOWNLOAD_FAILED', `download of ${url} broke off after ${received} bytes: ${(error as Error).message}`, {
        hint: 'try again; check the network and HTTPS_PROXY',
        cause: error,
      });
    }
    const actual = hash.digest('hex');
    if (actual !== sha256) {
      throw new ToolError('CHECKSUM_MISMATCH', `${url} has sha256 ${actual}, but SHASUMS256.txt says ${sha256}; refusing it`, {
        hint: 'the mirror or a proxy altered the file: check --node-mirror',
      });
    }
  });
  debug('cached %s as %s', url, target);
  return target;
}
