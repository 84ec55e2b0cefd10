/**
 * The reproducible tar.gz writer of the canonical release format (release/format.ts, checked
 * against its output by tar-writer.test.ts). Every byte depends only on the entries handed in: no
 * owner names, uid/gid 0, fixed mtime, normalised modes, no xattrs, and a gzip header with no
 * name, no mtime and a fixed OS byte. Written here rather than with node-tar's Pack because Pack stats the
 * disk itself (owner, mtime, xattr-free but readdir-ordered) and would need every field overridden;
 * a ustar writer is ~100 lines and lets each file be read once while it is hashed. The stream is
 * compressed on several threads by parallel-gzip.ts and hashed as it is written.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import createDebug from 'debug';
import { ToolError } from '../abi-gate/index.js';
import { MAX_FILE_SIZE, RELEASE_MODES, RELEASE_TYPEFLAGS, USTAR_MAGIC, USTAR_VERSION, ustarFallbackName } from '../release/index.js';
import { ParallelGzipWriter, type GzipResult, type ParallelGzipOptions } from './parallel-gzip.js';

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
  /** Block size and parallelism of the compressor; the defaults are what releases use. */
  gzip?: ParallelGzipOptions;
}

const BLOCK = 512;
const READ_CHUNK = 1 << 20;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

const MODE_DIRECTORY = RELEASE_MODES.directory;
const MODE_EXECUTABLE = RELEASE_MODES.executable;
const MODE_FILE = RELEASE_MODES.file;
const MODE_SYMLINK = RELEASE_MODES.symlink;

/** Writes `entries` in the given order as a gzip'd ustar archive at `outPath`. */
export async function writeTarGz(entries: readonly PackEntry[], outPath: string, options: PackOptions): Promise<PackResult> {
  const huge = entries.find((e) => e.type === 'file' && e.size > MAX_FILE_SIZE);
  if (huge !== undefined && huge.type === 'file') {
    throw new ToolError('FILE_TOO_LARGE', `${huge.source} is ${huge.size} bytes: a release holds no file of 8 GiB or more`, {
      hint: 'leave it out of the server tree',
    });
  }
  const handle = await open(outPath, 'wx');
  const gzip = new ParallelGzipWriter(handle, options.gzip);
  const push = (chunk: Buffer): Promise<void> => gzip.write(chunk);
  // The compressor copies what it is given, so one read buffer serves every big file.
  const readBuffer = Buffer.allocUnsafe(READ_CHUNK);
  const packed: PackedEntry[] = [];
  let contentBytes = 0;
  let result: GzipResult;
  try {
    for (const entry of entries) {
      if (entry.type === 'directory') {
        for (const block of headerBlocks(`${entry.path}/`, RELEASE_TYPEFLAGS.directory, MODE_DIRECTORY, 0, '', options.mtime)) await push(block);
        packed.push({ sha256: null, size: 0, mode: MODE_DIRECTORY });
      } else if (entry.type === 'symlink') {
        for (const block of headerBlocks(entry.path, RELEASE_TYPEFLAGS.symlink, MODE_SYMLINK, 0, entry.target, options.mtime)) await push(block);
        packed.push({ sha256: null, size: 0, mode: MODE_SYMLINK });
      } else {
        const mode = entry.executable ? MODE_EXECUTABLE : MODE_FILE;
        for (const block of headerBlocks(entry.path, RELEASE_TYPEFLAGS.file, mode, entry.size, '', options.mtime)) await push(block);
        const sha256 = await packFile(entry, push, readBuffer);
        packed.push({ sha256, size: entry.size, mode });
        contentBytes += entry.size;
        options.onProgress?.(contentBytes);
      }
    }
    // Two zero blocks end the archive.
    await push(Buffer.alloc(BLOCK * 2));
    result = await gzip.end();
  } catch (error) {
    await gzip.abort();
    await handle.close().catch(() => undefined);
    throw error;
  }
  await handle.close();
  debug('packed %d entries, %d content bytes, %d compressed', packed.length, contentBytes, result.size);
  return { sha256: result.sha256, size: result.size, entries: packed };
}

function changedSize(entry: Extract<PackEntry, { type: 'file' }>): ToolError {
  // The header already promised `size` bytes: a file that changed under us would corrupt the archive.
  return new ToolError('INPUT_CHANGED', `${entry.source} changed size while it was packed`, {
    hint: 'do not modify the server tree during a build',
  });
}

/** Packs one file's content and padding; returns its sha256. Small files in one read, big ones in chunks. */
async function packFile(
  entry: Extract<PackEntry, { type: 'file' }>,
  push: (chunk: Buffer) => Promise<void>,
  buffer: Buffer,
): Promise<string> {
  const hash = createHash('sha256');
  if (entry.size <= READ_CHUNK) {
    // Synchronous on purpose: an async read is five threadpool round trips (open, fstat, read,
    // read, close) per file, and across thousands of small files those hops cost more CPU than
    // the reads; the compressor keeps working on its own threads meanwhile.
    const content = readFileSync(entry.source);
    if (content.length !== entry.size) throw changedSize(entry);
    hash.update(content);
    await push(content);
  } else {
    const handle = await open(entry.source, 'r');
    try {
      let offset = 0;
      while (offset < entry.size) {
        const length = Math.min(buffer.length, entry.size - offset);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        if (bytesRead === 0) break;
        const chunk = buffer.subarray(0, bytesRead);
        hash.update(chunk);
        await push(chunk);
        offset += bytesRead;
      }
      const extra = await handle.read(Buffer.alloc(1), 0, 1, offset);
      if (offset !== entry.size || extra.bytesRead !== 0) throw changedSize(entry);
    } finally {
      await handle.close();
    }
  }
  const padding = (BLOCK - (entry.size % BLOCK)) % BLOCK;
  if (padding > 0) await push(ZERO_BLOCK.subarray(0, padding));
  return hash.digest('hex');
}

/** The ustar header for one entry, preceded by a pax header when a name does not fit ustar. */
function headerBlocks(path: string, type: '0' | '2' | '5', mode: number, size: number, linkTarget: string, mtime: number): Buffer[] {
  const pax: Array<[string, string]> = [];
  let split = splitUstarPath(path);
  if (split === null) {
    pax.push(['path', path]);
    split = { prefix: '', name: ustarFallbackName(path, type === RELEASE_TYPEFLAGS.directory) };
  }
  let link = linkTarget;
  if (Buffer.byteLength(link) > 100) {
    pax.push(['linkpath', link]);
    link = truncateUtf8(link, 100);
  }
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
  blocks.push(ustarBlock(split, type, mode, size, link, mtime));
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
  block.write(`${USTAR_MAGIC}${USTAR_VERSION}`, 257, 8, 'latin1');
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
