import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { GZIP_BLOCK, ParallelGzipWriter, type ParallelGzipOptions } from './parallel-gzip.js';
import { cleanTempDirs, tempDir } from './test-support/fixtures.js';

afterAll(cleanTempDirs);

const SMALL_BLOCK = 64 * 1024;

/** Text that repeats across block boundaries (so a lost dictionary shows in the size) mixed with noise. */
function sample(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  const phrase = Buffer.from('export function scanFile(path: string): ScanEntry | null { return readElf(path); }\n');
  let state = seed;
  for (let i = 0; i < size; ) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    if (state % 5 === 0) {
      out[i++] = state >>> 24;
    } else {
      const n = Math.min(phrase.length, size - i);
      phrase.copy(out, i, 0, n);
      i += n;
    }
  }
  return out;
}

async function compress(data: Buffer, options: ParallelGzipOptions, chunk: number): Promise<Buffer> {
  const file = join(await tempDir(), 'out.gz');
  const handle = await open(file, 'wx');
  try {
    const writer = new ParallelGzipWriter(handle, options);
    for (let at = 0; at < data.length; at += chunk) await writer.write(data.subarray(at, at + chunk));
    const result = await writer.end();
    const bytes = await readFile(file);
    expect(result.size).toBe(bytes.length);
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(result.inputSize).toBe(data.length);
    return bytes;
  } finally {
    await handle.close();
  }
}

/** What GNU gzip and Python's zlib (both independent of this code) make of `gz`. */
async function inspect(gz: Buffer): Promise<{ members: number; gunzipped: Buffer; gzipTest: number | null }> {
  const file = join(await tempDir(), 'check.gz');
  const handle = await open(file, 'wx');
  await handle.writeFile(gz);
  await handle.close();
  // Python counts members: each decompressobj stops at the end of one and leaves the rest unused.
  const count = spawnSync('python3', [
    '-c',
    [
      'import sys, zlib',
      'data = open(sys.argv[1], "rb").read()',
      'members = 0',
      'while data:',
      '    d = zlib.decompressobj(31)',
      '    d.decompress(data)',
      '    if not d.eof: sys.exit("truncated member")',
      '    data = d.unused_data',
      '    members += 1',
      'print(members)',
    ].join('\n'),
    file,
  ]);
  expect(count.stderr.toString()).toBe('');
  const gunzip = spawnSync('gzip', ['-dc', file], { maxBuffer: 1 << 28 });
  expect(gunzip.status).toBe(0);
  return { members: Number(count.stdout.toString().trim()), gunzipped: gunzip.stdout, gzipTest: spawnSync('gzip', ['-t', file]).status };
}

describe('one gzip member, whatever the size against the block', () => {
  const cases: Array<[string, number, number]> = [
    ['empty', 0, SMALL_BLOCK],
    ['below the 32 KiB window', 20_000, SMALL_BLOCK],
    ['exactly one block', SMALL_BLOCK, SMALL_BLOCK],
    ['exactly three blocks', 3 * SMALL_BLOCK, SMALL_BLOCK],
    ['three blocks and one byte', 3 * SMALL_BLOCK + 1, SMALL_BLOCK],
    ['exactly two release blocks', 2 * GZIP_BLOCK, GZIP_BLOCK],
    ['two release blocks and one byte', 2 * GZIP_BLOCK + 1, GZIP_BLOCK],
  ];
  test.each(cases)('%s (%d bytes)', async (_name, size, blockSize) => {
    const data = sample(size);
    const gz = await compress(data, { blockSize }, 7919);
    expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);
    expect(gz.readUInt32LE(gz.length - 4)).toBe(size);
    const seen = await inspect(gz);
    expect(seen.gzipTest).toBe(0);
    expect(seen.members).toBe(1);
    expect(seen.gunzipped.equals(data)).toBe(true);
  });
});

test('the bytes do not depend on how the input is cut or how many blocks are in flight', async () => {
  const data = sample(5 * SMALL_BLOCK + 12_345, 7);
  const outputs = await Promise.all([
    compress(data, { blockSize: SMALL_BLOCK, inFlight: 1 }, 512),
    compress(data, { blockSize: SMALL_BLOCK, inFlight: 2 }, SMALL_BLOCK),
    compress(data, { blockSize: SMALL_BLOCK, inFlight: 4 }, 100_003),
    compress(data, { blockSize: SMALL_BLOCK }, data.length),
  ]);
  for (const output of outputs.slice(1)) expect(output.equals(outputs[0] as Buffer)).toBe(true);
  expect((await inspect(outputs[0] as Buffer)).gunzipped.equals(data)).toBe(true);
});

test('each block is compressed with the previous one as dictionary: the size stays near one gzip stream', async () => {
  // 16 KiB of noise repeated: only a match reaching back into the previous block compresses it.
  const unit = Buffer.alloc(16 * 1024);
  let state = 99;
  for (let i = 0; i < unit.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    unit[i] = state >>> 24;
  }
  const data = Buffer.concat(Array.from({ length: 32 }, () => unit));
  const one = gzipSync(data, { level: 6 }).length;
  let cold = 0;
  for (let at = 0; at < data.length; at += SMALL_BLOCK) cold += deflateRawSync(data.subarray(at, at + SMALL_BLOCK), { level: 6 }).length;
  expect(cold).toBeGreaterThan(one * 2);
  const parallel = (await compress(data, { blockSize: SMALL_BLOCK }, SMALL_BLOCK)).length;
  expect(parallel).toBeLessThan(one * 1.05);
});

test('a block smaller than the deflate window is refused', async () => {
  const handle = await open(join(await tempDir(), 'x.gz'), 'wx');
  try {
    expect(() => new ParallelGzipWriter(handle, { blockSize: 1024 })).toThrow(RangeError);
  } finally {
    await handle.close();
  }
});
