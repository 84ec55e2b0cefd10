/**
 * The reproducible tar.gz writer. Every byte depends only on the entries handed in: no owner
 * names, uid/gid 0, fixed mtime, normalised modes, no xattrs, and a gzip header with no name, no
 * mtime and a fixed OS byte. Written here rather than with node-tar's Pack because Pack stats the
 * disk itself (owner, mtime, xattr-free but readdir-ordered) and would need every field overridden;
 * a ustar writer is ~100 lines and lets each file be read once while it is hashed.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import createDebug from 'debug';
import { ToolError } from '../abi-gate/errors.js';

const debug = createDebug('remote-ai:packager:tar');

export type PackEntry =
  | { type: 'directory'; path: string }
  | { type: 'file'; path: string; source: string; size: number; executable: boolean }
  | { type: 'symlink'; path: string; target: string };

export interface PackedEntry {
  /** sha256 of the content for files, null otherwise. */
  sha256: string | null;
  size: number;
  mode: number;
}

export interface PackResult {
  sha256: string;
  size: number;
  entries: PackedEntry[];
}

export interface PackOptions {
  /** Seconds since the epoch for every entry. */
  mtime: number;
  /** Called with bytes of content packed so far. */
  onProgress?: (packedBytes: number) => void;
}

const BLOCK = 512;
const BATCH_BYTES = 1 << 20;
const READ_CHUNK = 1 << 20;
/** gzip header byte 9: the OS. zlib writes its build host's (0x03 Unix, 0x13 on macOS builds). */
const GZIP_OS_UNIX = 0x03;
const MAX_OCTAL_SIZE = 0o77777777777;

export const MODE_DIRECTORY = 0o755;
export const MODE_EXECUTABLE = 0o755;
export const MODE_FILE = 0o644;
const MODE_SYMLINK = 0o777;

/** Writes `entries` in the given order as a gzip'd ustar archive at `outPath`. */
export async function writeTarGz(entries: readonly PackEntry[], outPath: string, options: PackOptions): Promise<PackResult> {
  const gzip = createGzip({ level: 6, chunkSize: 64 * 1024 });
  const sink = new HashingHeaderFix();
  const done = pipeline(gzip, sink, createWriteStream(outPath, { flags: 'wx' }));
  // A failure downstream (disk full) must stop the producer instead of leaving it waiting on drain.
  let failure: unknown = null;
  done.catch((error: unknown) => {
    failure = error;
  });

  let batch: Buffer[] = [];
  let batchBytes = 0;
  const write = async (chunk: Buffer): Promise<void> => {
    if (failure !== null) throw failure;
    if (!gzip.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          gzip.off('error', onError);
          resolve();
        };
        const onError = (error: Error): void => {
          gzip.off('drain', onDrain);
          reject(error);
        };
        gzip.once('drain', onDrain);
        gzip.once('error', onError);
      });
    }
  };
  const push = async (chunk: Buffer): Promise<void> => {
    batch.push(chunk);
    batchBytes += chunk.length;
    if (batchBytes >= BATCH_BYTES) await flush();
  };
  const flush = async (): Promise<void> => {
    if (batchBytes === 0) return;
    const chunk = batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    await write(chunk);
  };

  const packed: PackedEntry[] = [];
  let contentBytes = 0;
  try {
    for (const entry of entries) {
      if (entry.type === 'directory') {
        for (const block of headerBlocks(`${entry.path}/`, '5', MODE_DIRECTORY, 0, '', options.mtime)) await push(block);
        packed.push({ sha256: null, size: 0, mode: MODE_DIRECTORY });
      } else if (entry.type === 'symlink') {
        for (const block of headerBlocks(entry.path, '2', MODE_SYMLINK, 0, entry.target, options.mtime)) await push(block);
        packed.push({ sha256: null, size: 0, mode: MODE_SYMLINK });
      } else {
        const mode = entry.executable ? MODE_EXECUTABLE : MODE_FILE;
        for (const block of headerBlocks(entry.path, '0', mode, entry.size, '', options.mtime)) await push(block);
        const sha256 = await packFile(entry, push, flush, write);
        packed.push({ sha256, size: entry.size, mode });
        contentBytes += entry.size;
        options.onProgress?.(contentBytes);
      }
    }
    // Two zero blocks end the archive.
    await push(Buffer.alloc(BLOCK * 2));
    await flush();
    gzip.end();
    await done;
  } catch (error) {
    gzip.destroy();
    await done.catch(() => undefined);
    throw error;
  }
  debug('packed %d entries, %d content bytes, %d compressed', packed.length, contentBytes, sink.size);
  return { sha256: sink.digest(), size: sink.size, entries: packed };
}

async function packFile(
  entry: Extract<PackEntry, { type: 'file' }>,
  push: (chunk: Buffer) => Promise<void>,
  flush: () => Promise<void>,
  write: (chunk: Buffer) => Promise<void>,
): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(entry.source, 'r');
  try {
    let offset = 0;
    const small = entry.size <= READ_CHUNK;
    if (!small) await flush();
    while (offset < entry.size) {
      const length = Math.min(READ_CHUNK, entry.size - offset);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      if (bytesRead === 0) break;
      const chunk = bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
      hash.update(chunk);
      if (small) await push(chunk);
      else await write(chunk);
      offset += bytesRead;
    }
    // The header already promised `size` bytes: a file that changed under us would corrupt the archive.
    const extra = await handle.read(Buffer.alloc(1), 0, 1, offset);
    if (offset !== entry.size || extra.bytesRead !== 0) {
      throw new ToolError('INPUT_CHANGED', `${entry.source} changed size while it was packed`, {
        hint: 'do not modify the server tree during a build',
      });
    }
  } finally {
    await handle.close();
  }
  const padding = (BLOCK - (entry.size % BLOCK)) % BLOCK;
  if (padding > 0) await push(Buffer.alloc(padding));
  return hash.digest('hex');
}

/** The ustar header for one entry, preceded by a pax header when a name does not fit ustar. */
export function headerBlocks(path: string, type: '0' | '2' | '5', mode: number, size: number, linkTarget: string, mtime: number): Buffer[] {
  const pax: Array<[string, string]> = [];
  let split = splitUstarPath(path);
  if (split === null) {
    pax.push(['path', path]);
    split = { prefix: '', name: truncateUtf8(path, 100) };
  }
  let link = linkTarget;
  if (Buffer.byteLength(link) > 100) {
    pax.push(['linkpath', link]);
    link = truncateUtf8(link, 100);
  }
  if (size > MAX_OCTAL_SIZE) pax.push(['size', String(size)]);
  const blocks: Buffer[] = [];
  if (pax.length > 0) {
    const body = Buffer.from(pax.map(([key, value]) => paxRecord(key, value)).join(''));
    const base = path.replace(/\/$/, '').split('/').pop() ?? 'entry';
    // GNU tar's reproducible name pattern, %d/PaxHeaders/%f, cut to fit.
    const paxName = truncateUtf8(`PaxHeaders/${base}`, 100);
    blocks.push(ustarBlock({ prefix: '', name: paxName }, 'x', 0o644, body.length, '', mtime));
    blocks.push(body);
    const padding = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (padding > 0) blocks.push(Buffer.alloc(padding));
  }
  blocks.push(ustarBlock(split, type, mode, size > MAX_OCTAL_SIZE ? 0 : size, link, mtime));
  return blocks;
}

function ustarBlock(name: { prefix: string; name: string }, type: string, mode: number, size: number, link: string, mtime: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, mode);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, mtime);
  block.fill(0x20, 148, 156);
  block.write(type, 156, 1, 'latin1');
  block.write(link, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'latin1');
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  block.write(name.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'latin1');
  return block;
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  block.write(`${value.toString(8).padStart(width - 1, '0')}\u0000`, offset, width, 'latin1');
}

/** ustar keeps 100 bytes of name plus a 155-byte prefix split at a '/'. */
function splitUstarPath(path: string): { prefix: string; name: string } | null {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { prefix, name };
  }
  return null;
}

function truncateUtf8(text: string, bytes: number): string {
  const buffer = Buffer.from(text);
  if (buffer.length <= bytes) return text;
  return buffer.subarray(0, bytes).toString('utf8').replace(/\uFFFD+$/, '');
}

/** A pax record is "<len> <key>=<value>\n" where len counts itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const restBytes = Buffer.byteLength(rest);
  let length = restBytes + String(restBytes).length;
  if (String(length).length + restBytes !== length) length = String(length).length + restBytes;
  return `${length}${rest}`;
}

/** Fixes the gzip header's OS byte and hashes the compressed stream as it goes to disk. */
class HashingHeaderFix extends Transform {
  private readonly hash = createHash('sha256');
  private seen = 0;
  size = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.seen <= 9 && this.seen + chunk.length > 9) {
      const copy = Buffer.from(chunk);
      copy[9 - this.seen] = GZIP_OS_UNIX;
      chunk = copy;
    }
    this.seen += chunk.length;
    this.size += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
