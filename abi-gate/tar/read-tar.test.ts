import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { create } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { isTarError } from './errors.js';
import { readTar } from './read-tar.js';
import { endBlocks, entryBytes, header, paxEntry } from './test-support/raw-tar.js';
import type { TarEntryInfo } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'gate-tar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Seen {
  info: TarEntryInfo;
  body: string;
}

async function readAll(input: string | NodeJS.ReadableStream, opts = {}): Promise<{ seen: Seen[]; result: Awaited<ReturnType<typeof readTar>> }> {
  const seen: Seen[] = [];
  const result = await readTar(
    input,
    async (info, body) => {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk);
      seen.push({ info, body: Buffer.concat(chunks).toString('utf8') });
    },
    opts,
  );
  return { seen, result };
}

async function failure(input: string, opts = {}): Promise<{ kind: string; message: string }> {
  try {
    await readTar(input, () => undefined, opts);
  } catch (error) {
    if (isTarError(error)) return { kind: error.kind, message: error.message };
    throw error;
  }
  throw new Error('expected readTar to fail');
}

function sourceTree(): string {
  const root = join(dir, `src-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(root, 'top', 'lib'), { recursive: true });
  writeFileSync(join(root, 'top', 'a.txt'), 'hello\n');
  writeFileSync(join(root, 'top', 'lib', 'x'.repeat(120)), 'long name\n');
  symlinkSync('a.txt', join(root, 'top', 'link'));
  return root;
}

describe('readTar over archives written by real tools', () => {
  it('reads a GNU tar pax archive with unknown pax keys and a global header', async () => {
    const root = sourceTree();
    const file = join(dir, 'gnu-pax.tar.gz');
    execFileSync('tar', [
      '--format=pax', '--sort=name',
      '--pax-option=LIBARCHIVE.xattr.com.apple.provenance:=AQAA',
      '--pax-option=comment=global-note',
      '-C', root, '-czf', file, 'top',
    ], { stdio: ['ignore', 'ignore', 'ignore'] });
    const { seen, result } = await readAll(file);
    expect(result.gzip).toBe(true);
    expect(result.eof).toBe(true);
    const listed = execFileSync('tar', ['-tzf', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim().split('\n');
    expect(seen.map((s) => s.info.path)).toEqual(listed);
    const a = seen.find((s) => s.info.path === 'top/a.txt');
    expect(a?.body).toBe('hello\n');
    expect(a?.info.pax['LIBARCHIVE.xattr.com.apple.provenance']).toBe('AQAA');
    expect(a?.info.globalPax.comment).toBe('global-note');
    expect(a?.info.pax.comment).toBeUndefined();
    expect(seen.find((s) => s.info.path === 'top/link')?.info).toMatchObject({ type: 'symlink', linkpath: 'a.txt' });
    expect(seen.find((s) => s.info.path === 'top/lib/')?.info.type).toBe('directory');
    expect(seen.find((s) => s.info.path.endsWith('x'.repeat(120)))?.body).toBe('long name\n');
  });

  it('reads a GNU-format archive (long names through L headers)', async () => {
    const root = sourceTree();
    const file = join(dir, 'gnu.tar');
    execFileSync('tar', ['--format=gnu', '-C', root, '-cf', file, 'top']);
    const { seen, result } = await readAll(file);
    expect(result.gzip).toBe(false);
    expect(seen.map((s) => s.info.path).sort()).toEqual(
      execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n').sort(),
    );
    expect(seen.find((s) => s.info.path.endsWith('x'.repeat(120)))?.body).toBe('long name\n');
  });

  it('reads a tarball written by node-tar and hashes the raw bytes in the same pass', async () => {
    const root = sourceTree();
    const file = join(dir, 'node-tar.tgz');
    await create({ gzip: true, cwd: root, file, portable: true }, ['top']);
    let hashed: [string, number] | null = null;
    const { seen, result } = await readAll(file, { onRawHashed: (sha256: string, bytes: number) => void (hashed = [sha256, bytes]) });
    expect(hashed).toEqual([createHash('sha256').update(readFileSync(file)).digest('hex'), readFileSync(file).length]);
    expect(result.rawBytes).toBe(readFileSync(file).length);
    expect(result.tarBytes).toBe(execFileSync('gzip', ['-dc', file]).length);
    expect(seen.find((s) => s.info.path === 'top/a.txt')?.body).toBe('hello\n');
  });

  it('runs handlers one at a time in archive order', async () => {
    const root = sourceTree();
    const file = join(dir, 'order.tar');
    execFileSync('tar', ['--sort=name', '-C', root, '-cf', file, 'top']);
    const events: string[] = [];
    await readTar(file, async (info, body) => {
      events.push(`start ${info.path}`);
      await new Promise((r) => setTimeout(r, 2));
      await body.skip();
      events.push(`end ${info.path}`);
    });
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]?.replace('start', 'end')).toBe(events[i + 1]);
    }
    expect(events.length).toBe(2 * execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim().split('\n').length);
  });
});

describe('readTar shows hostile archives as they are', () => {
  it('keeps absolute paths, .. and NUL in pax paths verbatim', async () => {
    const file = join(dir, 'hostile.tar');
    writeFileSync(file, Buffer.concat([
      entryBytes({ name: '/etc/evil', body: 'x' }),
      entryBytes({ name: '../escape', body: 'y' }),
      entryBytes({ name: 'hard', typeflag: '1', linkname: '../../etc/passwd' }),
      paxEntry({ path: 'ok.txt\0../../hidden', 'SCHILY.xattr.user.x': 'v' }),
      entryBytes({ name: 'ok.txt', body: 'z' }),
      entryBytes({ name: 'setuid', body: '', mode: 0o4755 }),
      entryBytes({ name: 'fifo', typeflag: '6' }),
      endBlocks(),
    ]));
    const { seen } = await readAll(file);
    expect(seen.map((s) => s.info.path)).toEqual(['/etc/evil', '../escape', 'hard', 'ok.txt\0../../hidden', 'setuid', 'fifo']);
    expect(seen[2]?.info).toMatchObject({ type: 'hardlink', linkpath: '../../etc/passwd' });
    expect(seen[3]?.info.pax['SCHILY.xattr.user.x']).toBe('v');
    expect(seen[4]?.info.mode).toBe(0o4755);
    expect(seen[5]?.info.type).toBe('fifo');
  });

  it('refuses data hidden after the end-of-archive blocks', async () => {
    const file = join(dir, 'after-end.tar.gz');
    writeFileSync(file, gzipSync(Buffer.concat([entryBytes({ name: 'a', body: 'a' }), endBlocks(), entryBytes({ name: 'hidden', body: 'h' })])));
    expect(await failure(file)).toMatchObject({ kind: 'trailing-garbage' });
  });

  it('refuses a truncated gzip with one line naming the file', async () => {
    const file = join(dir, 'truncated.tar.gz');
    const whole = gzipSync(Buffer.concat([entryBytes({ name: 'a', body: 'a'.repeat(5000) }), endBlocks()]));
    writeFileSync(file, whole.subarray(0, whole.length - 20));
    const error = await failure(file);
    expect(error.kind).toBe('truncated');
    expect(error.message).toContain(file);
    expect(error.message).not.toContain('\n');
  });

  it('refuses garbage after the gzip stream', async () => {
    const file = join(dir, 'gzip-garbage.tar.gz');
    writeFileSync(file, Buffer.concat([gzipSync(Buffer.concat([entryBytes({ name: 'a', body: 'a' }), endBlocks()])), Buffer.from('garbage!')]));
    expect((await failure(file)).kind).toBe('gzip-corrupt');
  });

  it('refuses bytes appended after the gzip stream, even zeros', async () => {
    const file = join(dir, 'gzip-padded.tar.gz');
    writeFileSync(file, Buffer.concat([gzipSync(Buffer.concat([entryBytes({ name: 'a', body: 'a' }), endBlocks()])), Buffer.alloc(4096)]));
    expect((await failure(file)).kind).toBe('trailing-garbage');
  });

  it('refuses a gzip cut in the middle of a large entry while its handler streams the body', async () => {
    const file = join(dir, 'cut-mid-entry.tar.gz');
    const random = Buffer.from(Array.from({ length: 400_000 }, (_, i) => (i * 7919) % 251));
    const whole = gzipSync(Buffer.concat([entryBytes({ name: 'big.bin', body: random }), endBlocks()]));
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    let chunks = 0;
    const error = await readTar(file, async (_info, body) => body.forEach(() => void chunks++)).catch((e: unknown) => e);
    expect(isTarError(error) && error.kind).toBe('truncated');
    expect(chunks).toBeGreaterThan(0);
  });

  it('refuses a tar cut inside an entry body', async () => {
    const file = join(dir, 'cut.tar');
    writeFileSync(file, entryBytes({ name: 'a', body: 'a'.repeat(2000) }).subarray(0, 1024));
    expect((await failure(file)).kind).toBe('truncated');
  });

  it('refuses a header with a bad checksum', async () => {
    const file = join(dir, 'checksum.tar');
    const bad = header({ name: 'a', body: 'a' });
    bad[0] = 'b'.charCodeAt(0);
    writeFileSync(file, Buffer.concat([entryBytes({ name: 'first', body: '1' }), bad, Buffer.alloc(512), endBlocks()]));
    expect((await failure(file)).kind).toBe('bad-header');
  });

  it('refuses plain tar when gzip is required, and a missing file', async () => {
    const file = join(dir, 'plain.tar');
    writeFileSync(file, Buffer.concat([entryBytes({ name: 'a', body: 'a' }), endBlocks()]));
    expect((await failure(file, { requireGzip: true })).kind).toBe('not-gzip');
    expect((await failure(join(dir, 'nope.tgz'))).kind).toBe('missing');
  });

  it('refuses a gzip bomb past the decompression ratio', async () => {
    const file = join(dir, 'bomb.tar.gz');
    writeFileSync(file, gzipSync(Buffer.concat([entryBytes({ name: 'zeros', body: Buffer.alloc(40 * 1024 * 1024) }), endBlocks()])));
    expect((await failure(file, { limits: { maxDecompressionRatio: 100 } })).kind).toBe('limit');
  });

  it('reports a handler error instead of swallowing it', async () => {
    const file = join(dir, 'handler.tar');
    writeFileSync(file, Buffer.concat([entryBytes({ name: 'a', body: 'a' }), entryBytes({ name: 'b', body: 'b' }), endBlocks()]));
    await expect(readTar(file, (info) => { if (info.path === 'b') throw new Error('boom on b'); })).rejects.toThrow('boom on b');
  });
});

describe('the raw facts a verifier needs', () => {
  const file = (name: string, bytes: Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('hands each entry its raw header and the extended headers before it, in order', async () => {
    const tar = Buffer.concat([
      paxEntry({ comment: 'global' }, 'g'),
      paxEntry({ path: 'top/a' }),
      paxEntry({ mtime: '1' }),
      entryBytes({ name: 'top/ignored', body: 'a' }),
      entryBytes({ name: 'top/b', body: 'b' }),
      endBlocks(),
    ]);
    const headers: string[] = [];
    const metas: string[][] = [];
    const { result } = await readAll(Readable.from([tar]));
    await readTar(Readable.from([tar]), (info) => {
      headers.push(info.header.toString('latin1', 156, 157) + info.header.toString('latin1', 257, 265));
      metas.push(info.meta.map((m) => `${m.typeflag}@${m.offset}:${m.body.toString('utf8').trim()}`));
    });
    expect(headers).toEqual(['0ustar\u000000', '0ustar\u000000']);
    expect(metas).toEqual([['g@0:18 comment=global', 'x@1024:14 path=top/a', 'x@2048:11 mtime=1'], []]);
    expect(result.loneZeroBlock).toBeNull();
    expect(result.danglingMeta).toEqual([]);
    expect(result.gzipTrailerSize).toBeNull();
  });

  it('reports a lone zero block (where GNU tar stops) and an extended header that no entry follows', async () => {
    const tar = Buffer.concat([entryBytes({ name: 'a', body: 'a' }), Buffer.alloc(512), entryBytes({ name: 'b', body: 'b' }), paxEntry({ path: 'c' }), endBlocks()]);
    const { seen, result } = await readAll(Readable.from([tar]));
    expect(seen.map((s) => s.info.path)).toEqual(['a', 'b']);
    expect(result.loneZeroBlock).toBe(1024);
    expect(result.danglingMeta.map((m) => m.typeflag)).toEqual(['x']);
  });

  it("records the last gzip member's size: one member holds the whole stream, two do not", async () => {
    const tar = Buffer.concat([entryBytes({ name: 'a', body: 'a'.repeat(600) }), endBlocks()]);
    const one = await readAll(file('one.tar.gz', gzipSync(tar)));
    expect(one.result.gzipTrailerSize).toBe(tar.length);
    const two = await readAll(file('two.tar.gz', Buffer.concat([gzipSync(tar.subarray(0, 1024)), gzipSync(tar.subarray(1024))])));
    expect(two.seen.map((s) => s.body.length)).toEqual([600]);
    expect(two.result.gzipTrailerSize).toBe(tar.length - 1024);
  });

  it('skips the body of a GNU dumpdir (D) as GNU tar and node-tar do, instead of reading it as headers', async () => {
    const hidden = entryBytes({ name: 'top/smuggled', body: 'x' });
    const tar = Buffer.concat([entryBytes({ name: 'top/dump/', typeflag: 'D', body: hidden }), entryBytes({ name: 'top/after', body: 'y' }), endBlocks()]);
    const { seen } = await readAll(Readable.from([tar]));
    expect(seen.map((s) => `${s.info.type} ${s.info.path}`)).toEqual(['directory top/dump/', 'file top/after']);
    const listed = execFileSync('tar', ['-tf', file('dump.tar', tar)], { encoding: 'utf8' }).trim().split('\n');
    expect(listed).toEqual(['top/dump/', 'top/after']);
  });
});

describe('gzip members', () => {
  it('tells an empty member in front from one member', async () => {
    const tar = Buffer.concat([entryBytes({ name: 'a', body: 'a' }), endBlocks()]);
    const path = join(dir, 'empty-first.tar.gz');
    writeFileSync(path, Buffer.concat([gzipSync(Buffer.alloc(0)), gzipSync(tar)]));
    const { result } = await readAll(path);
    expect(result.gzipTrailerSize).toBe(tar.length);
    expect(result.gzipFirstMemberEmpty).toBe(true);
    expect(result.gzipFlags).toBe(0);
    const one = join(dir, 'one-member.tar.gz');
    writeFileSync(one, gzipSync(tar));
    expect((await readAll(one)).result.gzipFirstMemberEmpty).toBe(false);
  });

  it('reports the header flags: gzip without -n names the file', async () => {
    const src = join(dir, 'named.tar');
    writeFileSync(src, Buffer.concat([entryBytes({ name: 'a', body: 'a' }), endBlocks()]));
    execFileSync('gzip', ['-kf', src]);
    const { result } = await readAll(`${src}.gz`);
    expect(result.gzipFlags).toBe(8);
    expect(result.gzipFirstMemberEmpty).toBeNull();
  });
});
