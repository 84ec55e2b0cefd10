import { describe, expect, it } from 'vitest';
import { TarFeed } from './tar-feed.js';

const KIB = 1024;

function chunk(n: number, fill: number): Buffer {
  return Buffer.alloc(n, fill);
}

/** Reads a stream to its end (or error), returning the bytes and the error, if any. */
async function drain(stream: NodeJS.ReadableStream): Promise<{ bytes: Buffer; error: string | null }> {
  const parts: Buffer[] = [];
  try {
    for await (const part of stream as AsyncIterable<Buffer>) parts.push(part);
    return { bytes: Buffer.concat(parts), error: null };
  } catch (error) {
    return { bytes: Buffer.concat(parts), error: (error as Error).message };
  }
}

const settledWithin = (promise: Promise<unknown>, ms: number): Promise<boolean> =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe('TarFeed: the container share of the host read', () => {
  it('holds what the host reads before the container is there, up to maxLag, then makes the host wait', async () => {
    const feed = new TarFeed(64 * KIB);
    expect(feed.onTarChunk(chunk(40 * KIB, 1))).toBeUndefined();
    // Past maxLag and the held tail (16 KiB) the host waits.
    const held = feed.onTarChunk(chunk(50 * KIB, 2));
    expect(held).toBeInstanceOf(Promise);
    expect(await settledWithin(held as Promise<void>, 30)).toBe(false);
    const reading = drain(feed.forContainer());
    expect(await settledWithin(held as Promise<void>, 1000)).toBe(true);
    feed.settle({ complete: true, stopped: null, integrity: { ok: true } });
    const { bytes, error } = await reading;
    expect(error).toBeNull();
    expect(bytes.equals(Buffer.concat([chunk(40 * KIB, 1), chunk(50 * KIB, 2)]))).toBe(true);
  });

  it('fails the container stream where the host stopped: a limit crossed or an archive it could not finish', async () => {
    const ok = { ok: true as const };
    for (const facts of [
      { complete: false, stopped: { kind: 'total' as const, limit: 1, value: 2, entry: null }, integrity: ok },
      { complete: false, stopped: null, integrity: ok },
      // Every tar byte came out, but the gzip's CRC was wrong: tar -xzf fails on such a file.
      { complete: true, stopped: null, integrity: { ok: false as const, reason: 'corrupt' as const, message: 'incorrect data check' } },
    ]) {
      const feed = new TarFeed(256 * KIB);
      feed.onTarChunk(chunk(100 * KIB, 3));
      const reading = drain(feed.forContainer());
      // The container may have what came before the tail, never the tail (the end blocks).
      await new Promise((resolve) => setTimeout(resolve, 20));
      feed.settle(facts);
      const { bytes, error } = await reading;
      expect(error).toMatch(/host (stopped|could not read|found this archive broken)/);
      expect(bytes.length).toBe(100 * KIB - 16 * KIB);
    }
  });

  it('lets a waiting host go on when the boot gives up on the container', async () => {
    const feed = new TarFeed(16 * KIB);
    const held = feed.onTarChunk(chunk(48 * KIB, 4));
    expect(held).toBeInstanceOf(Promise);
    feed.abandon();
    expect(await settledWithin(held as Promise<void>, 1000)).toBe(true);
    // Later chunks are dropped, never held.
    expect(feed.onTarChunk(chunk(32 * KIB, 5))).toBeUndefined();
  });

  it('lets the slower reader set the pace once the container reads', async () => {
    const feed = new TarFeed(64 * KIB);
    const stream = feed.forContainer();
    let waits = 0;
    for (let i = 0; i < 20; i++) {
      const wait = feed.onTarChunk(chunk(8 * KIB, i));
      if (wait === undefined) continue;
      waits++;
      // Nobody reads: the host stays held.
      expect(await settledWithin(wait, 20)).toBe(false);
      const reading = drain(stream);
      expect(await settledWithin(wait, 1000)).toBe(true);
      feed.end();
      expect((await reading).bytes.length).toBe((i + 1) * 8 * KIB);
      break;
    }
    expect(waits).toBe(1);
  });
});
