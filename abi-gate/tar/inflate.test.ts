import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { isTarError } from './errors.js';
import { WORKER_MIN_BYTES } from './inflate.js';
import { readTar } from './read-tar.js';
import { endBlocks, entryBytes } from './test-support/raw-tar.js';
import type { ReadTarOptions, ReadTarResult } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'gate-inflate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Place = NonNullable<ReadTarOptions['inflate']>;
const PLACES: Place[] = ['main-thread', 'worker'];

/** Every entry's path and body hash, and the result, as one place inflates the file. */
async function readWith(file: string, inflate: Place, options: ReadTarOptions = {}): Promise<{ entries: string[]; result: ReadTarResult }> {
  const entries: string[] = [];
  const result = await readTar(
    file,
    async (info, body) => {
      let bytes = 0;
      const hash = createHash('sha256');
      await body.forEach((chunk) => {
        bytes += chunk.length;
        hash.update(chunk);
      });
      entries.push(`${info.type} ${info.path} ${bytes} ${hash.digest('hex')}`);
    },
    { ...options, inflate },
  );
  return { entries, result };
}

async function failureKind(file: string, inflate: Place, options: ReadTarOptions = {}): Promise<string> {
  const error = await readTar(file, () => undefined, { ...options, inflate }).then(
    () => null,
    (e: unknown) => e,
  );
  if (!isTarError(error)) throw new Error(`expected a TarError, got ${String(error)}`);
  return error.kind;
}

/** A real GNU tar archive of files big and small, gzip'd by GNU gzip. */
function gnuTarGz(name: string, bigBytes: number): string {
  const root = join(dir, `${name}-src`);
  mkdirSync(join(root, 'top', 'lib'), { recursive: true });
  for (let i = 0; i < 40; i++) writeFileSync(join(root, 'top', 'lib', `f${i}.txt`), `file ${i}\n`.repeat(i * 50));
  // Incompressible, so the .tar.gz is about as big as this file.
  writeFileSync(join(root, 'top', 'big.bin'), randomBytes(bigBytes));
  const file = join(dir, `${name}.tar.gz`);
  execFileSync('sh', ['-c', `tar -cf - -C "$1" top | gzip -6 > "$2"`, 'sh', root, file]);
  return file;
}

describe('inflating on a worker thread or on the calling thread', () => {
  const file = gnuTarGz('real', 3 * 1024 * 1024);

  it('reads the same entries, bodies, gzip facts and file hash in both places', async () => {
    const hashes: string[] = [];
    const [main, worker] = await Promise.all(PLACES.map((place) => readWith(file, place, { onRawHashed: (sha256) => void hashes.push(sha256) })));
    expect(hashes).toEqual([0, 1].map(() => createHash('sha256').update(readFileSync(file)).digest('hex')));
    expect(main?.result.inflatedOn).toBe('main-thread');
    expect(worker?.result.inflatedOn).toBe('worker');
    expect(worker?.entries).toEqual(main?.entries);
    expect(main?.entries.length).toBe(43);
    const { inflatedOn: _a, ...mainFacts } = main?.result ?? {};
    const { inflatedOn: _b, ...workerFacts } = worker?.result ?? {};
    expect(workerFacts).toEqual(mainFacts);
  });

  it('inflates a stream on the worker too, fed chunk by chunk from this thread', async () => {
    const fromStream: string[] = [];
    const result = await readTar(
      createReadStream(file),
      async (info, body) => {
        let bytes = 0;
        await body.forEach((chunk) => void (bytes += chunk.length));
        fromStream.push(`${info.path} ${bytes}`);
      },
      { inflate: 'worker' },
    );
    expect(result.inflatedOn).toBe('worker');
    expect(result.eof).toBe(true);
    const { entries } = await readWith(file, 'main-thread');
    expect(fromStream).toEqual(entries.map((e) => e.split(' ').slice(1, 3).join(' ')));
  });

  it("chooses the worker for inputs of WORKER_MIN_BYTES and more, the caller's thread below", async () => {
    const big = gnuTarGz('big', WORKER_MIN_BYTES + 1024 * 1024);
    expect((await readTar(big, () => undefined)).inflatedOn).toBe('worker');
    expect((await readTar(file, () => undefined)).inflatedOn).toBe('main-thread');
  });

  it('lets the worker run ahead only so far, and resume, when the reader is slow', async () => {
    const big = gnuTarGz('slow', 12 * 1024 * 1024);
    let bigEntries = 0;
    // A reader that dawdles on every chunk of the big file: the worker fills its queue and waits.
    const result = await readTar(
      big,
      async (info, body) => {
        await body.forEach(() => undefined);
        if (info.path.endsWith('big.bin')) bigEntries++;
      },
      {
        inflate: 'worker',
        onTarChunk: () => new Promise<void>((resolve) => setTimeout(resolve, 2)),
      },
    );
    expect(bigEntries).toBe(1);
    expect(result.eof).toBe(true);
    expect(result.tarBytes).toBe(gunzipSync(readFileSync(big)).length);
  });

  for (const place of PLACES) {
    it(`refuses broken gzip streams alike (${place})`, async () => {
      const tar = Buffer.concat([entryBytes({ name: 'a', body: 'a'.repeat(300_000) }), endBlocks()]);
      const whole = gzipSync(tar);
      const truncated = join(dir, `truncated-${place}.tar.gz`);
      writeFileSync(truncated, whole.subarray(0, whole.length - 20));
      expect(await failureKind(truncated, place)).toBe('truncated');
      const corrupt = join(dir, `corrupt-${place}.tar.gz`);
      const flipped = Buffer.from(whole);
      const middle = Math.floor(flipped.length / 2);
      flipped[middle] = (flipped[middle] as number) ^ 0xff;
      writeFileSync(corrupt, flipped);
      expect(['gzip-corrupt', 'truncated']).toContain(await failureKind(corrupt, place));
      const padded = join(dir, `padded-${place}.tar.gz`);
      writeFileSync(padded, Buffer.concat([whole, Buffer.alloc(4096)]));
      expect(await failureKind(padded, place)).toBe('trailing-garbage');
    });

    it(`stops a gzip bomb at the ratio limit and at a handler's error (${place})`, async () => {
      const bomb = join(dir, `bomb-${place}.tar.gz`);
      writeFileSync(bomb, gzipSync(Buffer.concat([entryBytes({ name: 'zeros', body: Buffer.alloc(40 * 1024 * 1024) }), endBlocks()])));
      expect(await failureKind(bomb, place, { limits: { maxDecompressionRatio: 100 } })).toBe('limit');
      const error = await readTar(
        file,
        (info) => {
          if (info.path.endsWith('f3.txt')) throw new Error('stop at f3');
        },
        { inflate: place },
      ).catch((e: unknown) => e);
      expect((error as Error).message).toBe('stop at f3');
    });

    it(`hands the tap every plain tar byte in order, and waits for it (${place})`, async () => {
      const seen: Buffer[] = [];
      const events: string[] = [];
      let held = false;
      let heldEnd = 0;
      const handledWhileHeld: number[] = [];
      // 40 entries of 100 kB: several in each 256 KiB chunk.
      const spread = join(dir, `spread-${place}.tar.gz`);
      const bodies = Array.from({ length: 40 }, (_, i) => entryBytes({ name: `e${i}`, body: randomBytes(100_000) }));
      writeFileSync(spread, gzipSync(Buffer.concat([...bodies, endBlocks()])));
      const result = await readTar(
        spread,
        (info) => {
          if (held) handledWhileHeld.push(info.offset);
          events.push(held ? 'entry while held' : 'entry');
        },
        {
          inflate: place,
          onTarChunk: (chunk) => {
            seen.push(chunk);
            if (seen.length !== 2) return undefined;
            // Hold the read on the second chunk: nothing after it may be handled meanwhile.
            held = true;
            heldEnd = seen[0]!.length + chunk.length;
            return new Promise<void>((resolve) =>
              setTimeout(() => {
                events.push('released');
                held = false;
                resolve();
              }, 50),
            );
          },
        },
      );
      expect(Buffer.concat(seen).equals(gunzipSync(readFileSync(spread)))).toBe(true);
      expect(result.tarBytes).toBe(Buffer.concat(seen).length);
      expect(events).toContain('released');
      // Entries of the held chunk may be handled while it is held; none of a later chunk.
      expect(handledWhileHeld.every((offset) => offset < heldEnd)).toBe(true);
      expect(events.indexOf('released')).toBeLessThan(events.lastIndexOf('entry'));
    });
  }
});
