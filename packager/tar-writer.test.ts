import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readTar } from '../abi-gate/index.js';
import { checkReleaseFormat } from '../release/index.js';
import { writeTarGz, type PackEntry } from './tar-writer.js';
import { cleanTempDirs, tempDir } from './test-support/fixtures.js';

afterAll(cleanTempDirs);

test('long names use the ustar prefix, then a pax path; GNU tar and readTar agree', async () => {
  const dir = await tempDir();
  const source = join(dir, 'data');
  await writeFile(source, 'hello\n');
  const prefixed = `top/${'p'.repeat(90)}/${'n'.repeat(90)}.js`;
  const paxed = `top/${'x'.repeat(120)}/${'y'.repeat(120)}.js`;
  const longLink = `../${'l'.repeat(150)}`;
  const entries: PackEntry[] = [
    { type: 'directory', path: 'top' },
    { type: 'file', path: prefixed, source, size: 6, executable: false },
    { type: 'file', path: paxed, source, size: 6, executable: true },
    { type: 'symlink', path: 'top/link', target: longLink },
  ];
  const out = join(dir, 'out.tar.gz');
  const result = await writeTarGz(entries, out, { mtime: 1234567890 });
  expect(result.entries.map((e) => e.mode)).toEqual([0o755, 0o644, 0o755, 0o777]);
  expect(result.entries[1]?.sha256).toBe('5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');

  const gnu = spawnSync('tar', ['--numeric-owner', '-tvzf', out]);
  expect(gnu.status).toBe(0);
  expect(gnu.stderr.toString()).toBe('');
  const lines = gnu.stdout.toString().trim().split('\n');
  expect(lines.map((l) => l.split(/\s+/).slice(5).join(' '))).toEqual(['top/', prefixed, paxed, `top/link -> ${longLink}`]);
  expect(lines.every((l) => l.includes(' 0/0 '))).toBe(true);

  const seen: Array<{ path: string; pax: Record<string, string>; mtime: number | undefined }> = [];
  await readTar(out, async (entry, body) => {
    seen.push({ path: entry.path, pax: entry.pax, mtime: entry.mtime?.getTime() });
    await body.skip();
  });
  expect(seen.map((e) => e.path)).toEqual(['top/', prefixed, paxed, 'top/link']);
  expect(seen[1]?.pax).toEqual({});
  expect(Object.keys(seen[2]?.pax ?? {})).toEqual(['path']);
  expect(Object.keys(seen[3]?.pax ?? {})).toEqual(['linkpath']);
  expect(seen.every((e) => e.mtime === 1234567890000)).toBe(true);
});

test('a file that changes size while packing fails instead of corrupting the archive', async () => {
  const dir = await tempDir();
  const source = join(dir, 'data');
  await writeFile(source, 'grown');
  const error = await writeTarGz([{ type: 'file', path: 'f', source, size: 3, executable: false }], join(dir, 'o.tar.gz'), { mtime: 0 }).catch(
    (e: unknown) => e,
  );
  expect((error as Error).message).toContain('changed size');
});

test('the gzip header carries no name and no mtime, and OS 3', async () => {
  const dir = await tempDir();
  const out = join(dir, 'o.tar.gz');
  await writeTarGz([{ type: 'directory', path: 'a' }], out, { mtime: 0 });
  const head = (await readFile(out)).subarray(0, 10);
  expect(head.readUInt8(3)).toBe(0);
  expect(head.readUInt32LE(4)).toBe(0);
  expect(head.readUInt8(9)).toBe(3);
  expect(spawnSync('gzip', ['-t', out]).status).toBe(0);
});

test('a tarball of many blocks: one gzip member, identical on every write, read alike by GNU tar, Python and readTar', async () => {
  const dir = await tempDir();
  const entries: PackEntry[] = [{ type: 'directory', path: 'top' }];
  const contents = new Map<string, Buffer>();
  // Sizes around the 1 MiB gzip block and the 1 MiB read chunk, plus many small files.
  const sizes = [0, 1, 511, 512, 513, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 7, ...Array.from({ length: 200 }, (_, i) => 97 * i)];
  for (const [i, size] of sizes.entries()) {
    const data = Buffer.alloc(size);
    for (let j = 0; j < size; j++) data[j] = (j * 31 + i * 7 + (j >> 9)) & 0xff;
    const source = join(dir, `src-${i}`);
    await writeFile(source, data);
    const path = `top/f${String(i).padStart(3, '0')}.bin`;
    contents.set(path, data);
    entries.push({ type: 'file', path, source, size, executable: i % 2 === 0 });
  }
  const first = join(dir, 'a.tar.gz');
  const second = join(dir, 'b.tar.gz');
  const a = await writeTarGz(entries, first, { mtime: 0 });
  const b = await writeTarGz(entries, second, { mtime: 0, gzip: { inFlight: 1 } });
  expect(b.sha256).toBe(a.sha256);
  expect((await readFile(second)).equals(await readFile(first))).toBe(true);
  expect(a.entries.slice(1).map((e) => e.sha256)).toEqual([...contents.values()].map((d) => createHash('sha256').update(d).digest('hex')));

  expect(spawnSync('gzip', ['-t', first]).status).toBe(0);
  const python = spawnSync('python3', [
    '-c',
    [
      'import hashlib, sys, tarfile, zlib',
      'raw = open(sys.argv[1], "rb").read()',
      'd = zlib.decompressobj(31)',
      'd.decompress(raw)',
      'assert d.eof and d.unused_data == b"", "not exactly one gzip member"',
      'with tarfile.open(sys.argv[1], "r:gz") as t:',
      '    for m in t.getmembers():',
      '        if m.isfile(): print(m.name, hashlib.sha256(t.extractfile(m).read()).hexdigest())',
    ].join('\n'),
    first,
  ]);
  expect(python.stderr.toString()).toBe('');
  const expected = [...contents].map(([path, data]) => `${path} ${createHash('sha256').update(data).digest('hex')}`);
  expect(python.stdout.toString().trim().split('\n')).toEqual(expected);

  const extracted = join(dir, 'x');
  await mkdir(extracted);
  const gnu = spawnSync('tar', ['-xzf', first, '-C', extracted]);
  expect(gnu.status).toBe(0);
  for (const [path, data] of contents) expect((await readFile(join(extracted, path))).equals(data)).toBe(true);

  const seen: string[] = [];
  await readTar(first, async (entry, body) => {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    if (entry.type === 'file') seen.push(`${entry.path} ${createHash('sha256').update(Buffer.concat(chunks)).digest('hex')}`);
  });
  expect(seen).toEqual(expected);
});

test('what the writer writes is the canonical release format, long and unusual names included', async () => {
  const dir = await tempDir();
  const source = join(dir, 'data');
  await writeFile(source, 'x');
  const top = `remote-ai-server-${'a'.repeat(40)}-linux-x64`;
  // A path whose first 100 bytes end in '/': the name field must not (node-tar would take it for a folder).
  const slashAt100 = `${top}/${'s'.repeat(100 - top.length - 2)}/${'t'.repeat(200)}/f.js`;
  expect(Buffer.from(slashAt100).subarray(0, 100).toString().endsWith('/')).toBe(true);
  const entries: PackEntry[] = [
    { type: 'directory', path: top },
    { type: 'directory', path: `${top}/${'d'.repeat(120)}` },
    { type: 'file', path: `${top}/${'d'.repeat(120)}/${'n'.repeat(90)}.js`, source, size: 1, executable: false },
    { type: 'directory', path: `${top}/${'s'.repeat(100 - top.length - 2)}` },
    { type: 'directory', path: `${top}/${'s'.repeat(100 - top.length - 2)}/${'t'.repeat(200)}` },
    { type: 'file', path: slashAt100, source, size: 1, executable: true },
    { type: 'file', path: `${top}/ünïcødé-名前.txt`, source, size: 1, executable: false },
    { type: 'symlink', path: `${top}/link`, target: `${'d'.repeat(120)}/${'n'.repeat(90)}.js` },
  ];
  const out = join(dir, `${top}.tar.gz`);
  await writeTarGz(entries, out, { mtime: 946684800 });
  const checked = await checkReleaseFormat(out);
  expect(checked.violations).toEqual([]);
  expect(checked.top).toBe(top);
  // node-tar reads the same entries with the same types.
  const { t } = await import('tar');
  const seen: string[] = [];
  await t({ file: out, onReadEntry: (e) => seen.push(`${e.type} ${e.path}`) });
  expect(seen).toEqual([
    `Directory ${top}/`,
    `Directory ${top}/${'d'.repeat(120)}/`,
    `File ${entries[2]?.path}`,
    `Directory ${top}/${'s'.repeat(100 - top.length - 2)}/`,
    `Directory ${top}/${'s'.repeat(100 - top.length - 2)}/${'t'.repeat(200)}/`,
    `File ${slashAt100}`,
    `File ${top}/ünïcødé-名前.txt`,
    `SymbolicLink ${top}/link`,
  ]);
});

test('a file of 8 GiB or more is refused: the format has no pax size', async () => {
  const dir = await tempDir();
  const error = await writeTarGz([{ type: 'file', path: 'f', source: '/dev/zero', size: 0o77777777777 + 1, executable: false }], join(dir, 'o.tar.gz'), {
    mtime: 0,
  }).catch((e: unknown) => e);
  expect((error as Error).message).toContain('no file of 8 GiB or more');
});
