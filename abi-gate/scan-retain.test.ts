import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetainedChunks } from './scan-retain.js';
import { scanFile, scanSource } from './scan-file.js';
import { scanPaths } from './scan.js';
import { readelfHeader } from './test-support/binutils.js';
import { buildNodeLikeElves } from './test-support/node-like-elf.js';
import type { ScanEntry } from './types.js';

const tmp = mkdtempSync(join(tmpdir(), 'gate-retain-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let big: string;
let misleading: string;

beforeAll(() => {
  ({ big, misleading } = buildNodeLikeElves(tmp));
  // The layout the test relies on, as binutils reads it.
  expect(readelfHeader(big)).toMatchObject({ class: 64, endian: 'little' });
}, 60_000);

function feed(file: string, pieceSize: number): RetainedChunks {
  const bytes = readFileSync(file);
  const kept = new RetainedChunks(bytes.length, true);
  for (let at = 0; at < bytes.length; at += pieceSize) kept.push(bytes.subarray(at, at + pieceSize));
  return kept;
}

function withoutCounters(entry: ScanEntry | null): unknown {
  if (entry === null) return null;
  const { bytesRead: _bytesRead, path: _path, ...rest } = entry as ScanEntry & { bytesRead?: number };
  return rest;
}

describe('RetainedChunks keeps what the ELF scan reads', () => {
  it('drops the code and read-only data of a node-like layout and scans it the same', () => {
    const kept = feed(big, 64 * 1024);
    const source = kept.source();
    const entry = scanSource(source, 'big.so');
    expect(source.missed).toBe(false);
    expect(withoutCounters(entry)).toEqual(withoutCounters(scanFile(big)));
    expect(kept.keptBytes).toBeLessThan(readFileSync(big).length / 2);
  });

  it('says so when the scan needs a byte it dropped', () => {
    const source = feed(misleading, 16 * 1024).source();
    scanSource(source, 'misleading.so');
    expect(source.missed).toBe(true);
  });

  it('scanPaths scans a tarball entry again with every byte when the bet lost', async () => {
    const root = join(tmp, 'tree');
    mkdirSync(join(root, 'top'), { recursive: true });
    writeFileSync(join(root, 'top', 'big.so'), readFileSync(big));
    writeFileSync(join(root, 'top', 'misleading.so'), readFileSync(misleading));
    const tarball = join(tmp, 'tree.tar.gz');
    execFileSync('tar', ['--sort=name', '-C', root, '-czf', tarball, 'top']);
    const fromTar = await scanPaths([tarball]);
    const fromFolder = await scanPaths([join(root, 'top')]);
    expect(fromTar.files.map((f) => f.path)).toEqual([`${tarball}:top/big.so`, `${tarball}:top/misleading.so`]);
    expect(fromTar.files.map(withoutCounters)).toEqual(fromFolder.files.map(withoutCounters));
    expect(fromTar.files.every((f) => !('error' in f) || f.error === undefined)).toBe(true);
  });
});
