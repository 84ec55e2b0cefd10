import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { isTarError } from './errors.js';
import { readTar } from './read-tar.js';
import { endBlocks, entryBytes, header, paxEntry } from './test-support/raw-tar.js';
import type { TarEntryInfo } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'gate-tar-parser-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Seen {
  info: TarEntryInfo;
  body: Buffer;
}

/** Reads every entry, using forEach, the async iterator and skip in turn. */
async function readAll(input: string | NodeJS.ReadableStream): Promise<Seen[]> {
  const seen: Seen[] = [];
  let turn = 0;
  await readTar(input, async (entry, body) => {
    // The header is a view valid only during the handler's synchronous part: keep a copy.
    const info = { ...entry, header: Buffer.from(entry.header) };
    const chunks: Buffer[] = [];
    const way = turn++ % 2;
    if (way === 0) await body.forEach((chunk) => chunks.push(chunk));
    else for await (const chunk of body) chunks.push(chunk);
    seen.push({ info, body: Buffer.concat(chunks) });
  });
  return seen;
}

/** The archive in chunks of `size` bytes, so headers, pax bodies and bodies straddle chunks. */
function chunked(bytes: Buffer, size: number): NodeJS.ReadableStream {
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts, { objectMode: false });
}

interface Listed {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  size: number;
  mtime: string;
  path: string;
  target: string | null;
}

/** GNU tar's own reading of the archive: `tar -tvf --numeric-owner --full-time` in UTC. */
function gnuListing(file: string): Listed[] {
  const out = execFileSync('tar', ['--numeric-owner', '--full-time', '-tvf', file], {
    encoding: 'utf8',
    env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .trim()
    .split('\n')
    .map((line) => {
      // GNU tar pads the date to the widest one listed so far, and trims trailing zeros of pax
      // nanoseconds, so a shorter date is followed by more than one space (list.c, datewidth).
      const m = /^(\S)(\S{9}) (\d+)\/(\d+) +(\d+) (\S+ \S+) +(.*)$/.exec(line);
      if (m === null) throw new Error(`unexpected tar -tv line: ${line}`);
      const rest = m[7] as string;
      const link = / -> | link to /.exec(rest);
      return {
        type: m[1] as string,
        mode: m[2] as string,
        uid: Number(m[3]),
        gid: Number(m[4]),
        size: Number(m[5]),
        // pax mtimes carry nanoseconds; compare whole seconds.
        mtime: (m[6] as string).replace(/\.\d+$/, ''),
        path: link === null ? rest : rest.slice(0, link.index),
        target: link === null ? null : rest.slice(link.index + link[0].length),
      };
    });
}

const TYPE_CHAR: Record<string, string> = { file: '-', directory: 'd', symlink: 'l', hardlink: 'h', fifo: 'p' };

function modeString(mode: number): string {
  const bits = 'rwxrwxrwx';
  let out = '';
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? bits[i] : '-';
  return out;
}

function asListed(info: TarEntryInfo): Listed {
  return {
    type: TYPE_CHAR[info.type] ?? '?',
    mode: modeString(info.mode),
    uid: info.uid,
    gid: info.gid,
    // GNU tar lists a hard link with size 0 and a directory's stored size; ours is the body size.
    size: info.type === 'hardlink' ? 0 : info.size,
    mtime: info.mtime === null ? '' : info.mtime.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ''),
    path: info.path,
    target: info.linkpath,
  };
}

const LONG_DIR = 'd'.repeat(60);
const LONG_FILE = 'f'.repeat(80);
const LONG_TARGET = `${'../'.repeat(40)}target`;

function gnuTree(): string {
  const root = join(dir, `tree-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(root, 'src', LONG_DIR), { recursive: true });
  writeFileSync(join(root, 'src', LONG_DIR, LONG_FILE), 'long name body\n');
  writeFileSync(join(root, 'src', 'big.bin'), Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 31) % 253)));
  symlinkSync(LONG_TARGET, join(root, 'src', 'longlink'));
  linkSync(join(root, 'src', 'big.bin'), join(root, 'src', 'hard'));
  return root;
}

function gnuTar(format: 'gnu' | 'posix' | 'ustar', extra: string[] = []): string {
  const root = gnuTree();
  const file = join(dir, `${format}-${Math.random().toString(36).slice(2)}.tar`);
  execFileSync('tar', [`--format=${format}`, '--sort=name', ...extra, '-C', root, '-cf', file, 'src']);
  return file;
}

describe('readTar agrees with GNU tar on archives GNU tar wrote', () => {
  it('GNU format: ././@LongLink names and link targets (L and K), base-256 uid, gid and mtime', async () => {
    // uid/gid above 0o7777777 and an mtime past 0o77777777777 do not fit the octal fields: GNU
    // tar stores them base-256.
    const file = gnuTar('gnu', ['--owner=:3000000', '--group=:2500000', '--mtime=@9999999999']);
    const bytes = readFileSync(file);
    expect(bytes.includes('././@LongLink')).toBe(true);
    const seen = await readAll(file);
    const listed = gnuListing(file);
    expect(seen.map((s) => asListed(s.info))).toEqual(listed);
    expect(seen.find((s) => s.info.path.endsWith(LONG_FILE))?.body.toString()).toBe('long name body\n');
    expect(seen.find((s) => s.info.path === 'src/longlink')?.info).toMatchObject({ type: 'symlink', typeflag: '2', linkpath: LONG_TARGET });
    expect(seen.find((s) => s.info.path === 'src/hard')?.info.type).toBe('hardlink');
    expect(seen[0]?.info.uid).toBe(3_000_000);
  });

  it('POSIX pax format: long names and targets from pax records', async () => {
    const file = gnuTar('posix');
    const seen = await readAll(file);
    expect(seen.map((s) => asListed(s.info))).toEqual(gnuListing(file));
    expect(seen.find((s) => s.info.path.endsWith(LONG_FILE))?.info.pax.path).toBe(`src/${LONG_DIR}/${LONG_FILE}`);
  });

  it('ustar format: a long path split into the prefix field', async () => {
    const root = join(dir, 'ustar-tree');
    mkdirSync(join(root, 'p'.repeat(90), 'q'.repeat(40)), { recursive: true });
    writeFileSync(join(root, 'p'.repeat(90), 'q'.repeat(40), 'file.txt'), 'prefixed\n');
    const file = join(dir, 'prefix.tar');
    execFileSync('tar', ['--format=ustar', '-C', root, '-cf', file, 'p'.repeat(90)]);
    const seen = await readAll(file);
    expect(seen.map((s) => asListed(s.info))).toEqual(gnuListing(file));
    expect(seen.at(-1)?.body.toString()).toBe('prefixed\n');
  });

  it('reads the same entries and bodies whatever the chunk boundaries', async () => {
    const gnu = readFileSync(gnuTar('gnu'));
    const pax = readFileSync(gnuTar('posix'));
    for (const bytes of [gnu, pax]) {
      const whole = await readAll(Readable.from([bytes]));
      for (const size of [7, 511, 513, 4096]) {
        const split = await readAll(chunked(bytes, size));
        expect(split.map((s) => s.info)).toEqual(whole.map((s) => s.info));
        expect(split.map((s) => s.body.toString('hex'))).toEqual(whole.map((s) => s.body.toString('hex')));
      }
    }
  });
});

/** A ustar header whose size field is base-256 (first byte 0x80), as GNU tar writes sizes of 8 GiB and more. */
function base256SizeHeader(name: string, size: number, negative = false): Buffer {
  const block = header({ name, body: '' });
  const field = Buffer.alloc(12);
  if (negative) {
    field.fill(0xff);
    field[11] = 0x100 - size;
  } else {
    field[0] = 0x80;
    field.writeUIntBE(size, 6, 6);
  }
  field.copy(block, 124);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}

function padded(body: Buffer): Buffer {
  return Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

describe('readTar size fields, hand-built and checked against GNU tar', () => {
  it('reads a base-256 size field', async () => {
    const body = Buffer.from('x'.repeat(1000));
    const file = join(dir, 'base256.tar');
    writeFileSync(file, Buffer.concat([base256SizeHeader('sized', body.length), padded(body), entryBytes({ name: 'after', body: 'a' }), endBlocks()]));
    const seen = await readAll(file);
    expect(seen.map((s) => [s.info.path, s.info.size])).toEqual(gnuListing(file).map((l) => [l.path, l.size]));
    expect(seen[0]?.body.equals(body)).toBe(true);
    expect(seen[1]?.body.toString()).toBe('a');
  });

  it('lets a pax size record override the header size, as GNU tar does', async () => {
    const body = Buffer.from('y'.repeat(700));
    const file = join(dir, 'pax-size.tar');
    writeFileSync(file, Buffer.concat([
      paxEntry({ size: String(body.length), 'LIBARCHIVE.xattr.user.k': 'v' }),
      header({ name: 'declared-zero', body: '', size: 0 }),
      padded(body),
      entryBytes({ name: 'next', body: 'n' }),
      endBlocks(),
    ]));
    const seen = await readAll(file);
    expect(seen.map((s) => [s.info.path, s.info.size])).toEqual(gnuListing(file).map((l) => [l.path, l.size]));
    expect(seen[0]?.body.equals(body)).toBe(true);
    expect(seen[0]?.info.pax).toMatchObject({ size: '700', 'LIBARCHIVE.xattr.user.k': 'v' });
    expect(seen[1]?.info.pax).toEqual({});
  });

  it('refuses a negative base-256 size', async () => {
    const file = join(dir, 'negative.tar');
    writeFileSync(file, Buffer.concat([base256SizeHeader('neg', 5, true), endBlocks()]));
    const error = await readTar(file, () => undefined).catch((e: unknown) => e);
    expect(isTarError(error) && error.kind).toBe('bad-header');
  });
});

describe('readTar limits and handlers', () => {
  const many = Buffer.concat([...Array.from({ length: 50 }, (_, i) => entryBytes({ name: `f${i}`, body: String(i) })), endBlocks()]);

  it('stops at the entry limit without handing out the entries past it', async () => {
    const file = join(dir, 'many.tar.gz');
    writeFileSync(file, gzipSync(many));
    let handled = 0;
    const error = await readTar(file, () => void handled++, { limits: { maxEntries: 10 } }).catch((e: unknown) => e);
    expect(isTarError(error) && error.kind).toBe('limit');
    expect(handled).toBe(10);
  });

  it('refuses an extended header larger than the limit', async () => {
    const file = join(dir, 'big-pax.tar');
    writeFileSync(file, Buffer.concat([paxEntry({ comment: 'c'.repeat(4000) }), entryBytes({ name: 'a', body: 'a' }), endBlocks()]));
    const error = await readTar(file, () => undefined, { limits: { maxMetaEntrySize: 1024 } }).catch((e: unknown) => e);
    expect(isTarError(error) && error.kind).toBe('limit');
  });

  it('skips the bodies of handlers that return without reading them', async () => {
    const file = join(dir, 'unread.tar');
    writeFileSync(file, many);
    const bodies: string[] = [];
    await readTar(file, async (info, body) => {
      if (Number(info.path.slice(1)) % 2 === 0) return;
      await body.forEach((chunk) => bodies.push(chunk.toString()));
    });
    expect(bodies).toEqual(Array.from({ length: 25 }, (_, i) => String(2 * i + 1)));
  });

  it('treats a pre-POSIX file entry named with a trailing slash as a directory without a body', async () => {
    const file = join(dir, 'old-dir.tar');
    const old = header({ name: 'olddir/', body: '', typeflag: '\0' });
    writeFileSync(file, Buffer.concat([old, entryBytes({ name: 'olddir/a', body: 'a' }), endBlocks()]));
    const seen = await readAll(file);
    expect(seen.map((s) => [s.info.path, s.info.type, s.info.typeflag])).toEqual([
      ['olddir/', 'directory', '0'],
      ['olddir/a', 'file', '0'],
    ]);
  });
});
