import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MalformedElfError } from '../errors.js';
import { BufferSource, ChunkSource, FileSource } from './byte-source.js';

const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
const dir = mkdtempSync(join(tmpdir(), 'abi-gate-bytes-'));
const file = join(dir, 'data.bin');
writeFileSync(file, data);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('byte sources', () => {
  const sources = {
    file: () => FileSource.open(file),
    buffer: () => new BufferSource(data),
    // Uneven chunks, with an empty one, as a stream may deliver them.
    chunks: () => new ChunkSource([data.subarray(0, 7), Buffer.alloc(0), data.subarray(7, 300), data.subarray(300, 301), data.subarray(301)]),
  };

  for (const [name, make] of Object.entries(sources)) {
    it(`${name}: returns exactly the requested range, also across chunk boundaries`, () => {
      const s = make();
      expect(s.size).toBe(1000);
      for (const [offset, length] of [
        [0, 10],
        [5, 10],
        [295, 10],
        [299, 3],
        [990, 10],
        [0, 1000],
        [1000, 0],
      ] as const) {
        expect(s.read(offset, length).equals(data.subarray(offset, offset + length))).toBe(true);
      }
      expect(s.bytesRead).toBe(10 + 10 + 10 + 3 + 10 + 1000);
      if (s instanceof FileSource) s.close();
    });

    it(`${name}: refuses reads past the end or with bad numbers`, () => {
      const s = make();
      expect(() => s.read(995, 6)).toThrow(MalformedElfError);
      expect(() => s.read(1001, 0)).toThrow(/runs past the end/);
      expect(() => s.read(-1, 2)).toThrow(MalformedElfError);
      expect(() => s.read(0, Number.MAX_SAFE_INTEGER + 2)).toThrow(MalformedElfError);
      expect(() => s.read(0.5, 1)).toThrow(MalformedElfError);
      expect(s.bytesRead).toBe(0);
      if (s instanceof FileSource) s.close();
    });
  }

  it('FileSource.open refuses a folder and a missing file', () => {
    expect(() => FileSource.open(dir)).toThrow(/not a regular file/);
    expect(() => FileSource.open(join(dir, 'missing'))).toThrow(/ENOENT/);
  });

  it('FileSource reads nothing after close', () => {
    const s = FileSource.open(file);
    s.close();
    expect(() => s.read(0, 1)).toThrow(/after close/);
  });
});
