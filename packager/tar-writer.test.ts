import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { readTar } from '../abi-gate/tar/read-tar.js';
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
