/**
 * Builders for hostile tarballs. Headers are written byte by byte because node-tar's writer
 * sanitises exactly what these tests need: absolute paths, `..`, devices, setuid bits, duplicate
 * paths and xattr pax keys.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import { readTar, type TarEntryType } from '../../abi-gate/index.js';
import { hostCheckEntry, withHostCheck } from './host-check.js';

export type RawType = 'file' | 'hardlink' | 'symlink' | 'chardev' | 'blockdev' | 'directory' | 'fifo';

export interface RawEntry {
  path: string;
  type?: RawType;
  /** Permission bits including setuid/setgid; default 0644 for files, 0755 for folders. */
  mode?: number;
  content?: Buffer | string;
  linkpath?: string;
  /** Extra pax records written in an `x` header before this entry (e.g. `SCHILY.xattr.user.foo`). */
  pax?: Record<string, string>;
  devmajor?: number;
  devminor?: number;
}

const TYPE_FLAG: Record<RawType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  chardev: '3',
  blockdev: '4',
  directory: '5',
  fifo: '6',
};

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** One raw 512-byte ustar header; `name` and `linkname` are cut to their fields by the caller. */
export function ustarHeader(fields: {
  name: string;
  mode: number;
  size: number;
  typeflag: string;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}): Buffer {
  const block = Buffer.alloc(512);
  block.write(fields.name, 0, 100, 'utf8');
  block.write(octal(fields.mode, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(fields.size, 12), 124, 'ascii');
  block.write(octal(0, 12), 136, 'ascii');
  block.write(fields.typeflag, 156, 'ascii');
  block.write(fields.linkname ?? '', 157, 100, 'utf8');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  block.write(octal(fields.devmajor ?? 0, 8), 329, 'ascii');
  block.write(octal(fields.devminor ?? 0, 8), 337, 'ascii');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + ' ', 148, 'ascii');
  return block;
}

function padded(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

/** `"<len> key=value\n"` where len counts the whole record, its own digits included. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length += 1;
  return `${length}${body}`;
}

function paxHeader(name: string, records: Record<string, string>): Buffer {
  const body = Buffer.from(Object.entries(records).map(([k, v]) => paxRecord(k, v)).join(''));
  return Buffer.concat([ustarHeader({ name: name.slice(0, 99), mode: 0o644, size: body.length, typeflag: 'x' }), padded(body)]);
}

export function entryBlocks(entry: RawEntry): Buffer {
  const type = entry.type ?? 'file';
  const content = typeof entry.content === 'string' ? Buffer.from(entry.content) : (entry.content ?? Buffer.alloc(0));
  const pax: Record<string, string> = { ...entry.pax };
  if (Buffer.byteLength(entry.path) > 100) pax.path = entry.path;
  if (entry.linkpath !== undefined && Buffer.byteLength(entry.linkpath) > 100) pax.linkpath = entry.linkpath;
  const parts: Buffer[] = [];
  if (Object.keys(pax).length > 0) parts.push(paxHeader(`PaxHeaders/${entry.path.split('/').pop() ?? 'x'}`, pax));
  const size = type === 'file' ? content.length : 0;
  // A long path lives in the pax record; the name field keeps a cut that must not end in '/',
  // which old readers (and node-tar) take to mean a folder with no body.
  const name = Buffer.byteLength(entry.path) > 100 && type !== 'directory' ? entry.path.slice(0, 99).replace(/\/+$/, '_') : entry.path;
  parts.push(
    ustarHeader({
      name,
      mode: entry.mode ?? (type === 'directory' ? 0o755 : 0o644),
      size,
      typeflag: TYPE_FLAG[type],
      linkname: entry.linkpath ?? '',
      devmajor: entry.devmajor ?? 0,
      devminor: entry.devminor ?? 0,
    }),
  );
  if (size > 0) parts.push(padded(content));
  return Buffer.concat(parts);
}

/** A whole tar stream; `end: false` leaves out the two zero blocks that close an archive. */
export function buildTar(entries: RawEntry[], options: { end?: boolean } = {}): Buffer {
  const blocks = entries.map(entryBlocks);
  if (options.end ?? true) blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function buildTarGz(entries: RawEntry[], options: { end?: boolean } = {}): Buffer {
  return gzipSync(buildTar(entries, options));
}

/** Reads every entry of a (good) tarball into memory with the project's tar reader, to mutate and re-emit it. */
export async function readEntries(file: string): Promise<RawEntry[]> {
  const entries: RawEntry[] = [];
  await readTar(file, async (info, body) => {
    const raw: RawEntry = { path: info.path, mode: info.mode, type: fromTarType(info.type) };
    if (info.linkpath !== null && info.linkpath !== '') raw.linkpath = info.linkpath;
    if (raw.type === 'file') {
      const chunks: Buffer[] = [];
      await body.forEach((chunk) => chunks.push(chunk));
      raw.content = Buffer.concat(chunks);
    }
    entries.push(raw);
  });
  return entries;
}

function fromTarType(type: TarEntryType): RawType {
  switch (type) {
    case 'char-device':
      return 'chardev';
    case 'block-device':
      return 'blockdev';
    case 'other':
      return 'file';
    default:
      return type;
  }
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Re-emits `source` with `mutate` applied and, when `manifest` is given, writes a copy of that
 * manifest beside `dest` whose tarball sha256/size (and file name) describe the new tarball, so
 * only the mutation itself can fail a check.
 */
export async function mutateTarball(
  source: string,
  dest: string,
  mutate: (entries: RawEntry[]) => RawEntry[],
  options: { manifest?: string; editManifest?: (manifest: Record<string, unknown>) => void } = {},
): Promise<void> {
  const bytes = buildTarGz(mutate(await readEntries(source)));
  await writeFile(dest, bytes);
  if (options.manifest === undefined) return;
  const manifest = JSON.parse(await readFile(options.manifest, 'utf8')) as Record<string, unknown>;
  const tarball = manifest.tarball as Record<string, unknown>;
  tarball.sha256 = sha256(bytes);
  tarball.size = bytes.length;
  tarball.file = dest.split('/').pop();
  options.editManifest?.(manifest);
  await writeFile(sidecarOf(dest), JSON.stringify(manifest, null, 2));
}

export function sidecarOf(tarball: string): string {
  return tarball.replace(/\.(tar\.gz|tgz)$/, '') + '.manifest.json';
}

/**
 * A gzip bomb written streaming: one tar header declaring `declaredSize` bytes of one entry, then
 * `members` copies of one gzip member of 1 MiB of zeros (gunzip joins members), so a file of a few
 * MB inflates to `members` MiB without anything large ever being held in memory.
 */
export async function writeGzipBomb(file: string, options: { declaredSize: number; members: number; path?: string }): Promise<void> {
  const header = gzipSync(
    ustarHeader({ name: options.path ?? 'bomb/zeros', mode: 0o644, size: options.declaredSize, typeflag: '0' }),
  );
  const zeros = gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  const out = createWriteStream(file);
  out.write(header);
  for (let i = 0; i < options.members; i += 1) {
    if (!out.write(zeros)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** The node stand-in of the sample server: an x86_64 ELF that says it is node 16.20.2. */
export const NODE_STUB = new URL('../../fixtures/server/node-stub/node', import.meta.url);
export const TEST_COMMIT = '0123456789abcdef0123456789abcdef01234567';
export const TOP = `remote-ai-server-${TEST_COMMIT}-linux-x64`;

/** A minimal server that passes every check except `manifest` (it has none). */
export async function serverEntries(): Promise<RawEntry[]> {
  const node = await readFile(NODE_STUB);
  const entries: RawEntry[] = [
    { path: `${TOP}/`, type: 'directory' },
    { path: `${TOP}/bin/`, type: 'directory' },
    { path: `${TOP}/bin/helpers/`, type: 'directory' },
    { path: `${TOP}/bin/remote-ai-server`, mode: 0o755, content: '#!/bin/sh\nexec "$(dirname "$0")/../node" "$(dirname "$0")/../out/server-main.js" "$@"\n' },
    { path: `${TOP}/extensions/`, type: 'directory' },
    { path: `${TOP}/extensions/sample/`, type: 'directory' },
    { path: `${TOP}/extensions/sample/package.json`, content: '{"name":"sample"}\n' },
    { path: `${TOP}/node`, mode: 0o755, content: node },
    { path: `${TOP}/out/`, type: 'directory' },
    { path: `${TOP}/out/server-main.js`, content: 'console.log("hello")\n' },
    { path: `${TOP}/product.json`, content: JSON.stringify({ commit: TEST_COMMIT, version: '1.0.0' }) },
  ];
  // The host check packager generates, in packager's order (bin/helpers/ sorts before bin/remote-ai-server).
  entries.splice(3, 0, hostCheckEntry(entries, TOP));
  return entries;
}

/**
 * Writes `<dir>/<caseName>/<TOP>.tar.gz` (the packager's file name, which carries name, commit
 * and arch) from the minimal server after `mutate`, and returns its path.
 */
export async function writeServerTarball(
  dir: string,
  mutate: (entries: RawEntry[]) => RawEntry[] = (e) => e,
  caseName = 'default',
): Promise<string> {
  await mkdir(`${dir}/${caseName}`, { recursive: true });
  const file = `${dir}/${caseName}/${TOP}.tar.gz`;
  // The host check is generated again from the mutated binaries: only the mutation can fail a check.
  await writeFile(file, buildTarGz(withHostCheck(mutate(await serverEntries()), TOP)));
  return file;
}
