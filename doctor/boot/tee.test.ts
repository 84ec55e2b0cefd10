import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TarballTee } from './tee.js';

const MiB = 1024 * 1024;

async function drain(stream: NodeJS.ReadableStream, delayMs = 0): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  }
  return { sha256: hash.digest('hex'), bytes };
}

describe('TarballTee: one read for the host and the container', () => {
  let dir = '';
  let file = '';
  let expected = { sha256: '', bytes: 0 };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'remote-ai-tee-'));
    file = join(dir, 'release.tar.gz');
    const body = randomBytes(12 * MiB + 12345);
    await writeFile(file, body);
    expected = { sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives both readers every byte when the container starts reading within the lag', async () => {
    const tee = new TarballTee(file, 64 * MiB);
    const host = drain(tee.host);
    // The container "starts" after the host has read everything: all of it was held for it.
    expect(await host).toEqual(expected);
    expect(await drain(tee.forContainer())).toEqual(expected);
  });

  it('never holds the host up for a container that starts late: it drops the branch, the container reads the file itself', async () => {
    const tee = new TarballTee(file, 2 * MiB);
    expect(await drain(tee.host)).toEqual(expected);
    expect(await drain(tee.forContainer())).toEqual(expected);
  });

  it('gives both readers every byte when the container reads slower than the host', async () => {
    const tee = new TarballTee(file, 4 * MiB);
    const container = drain(tee.forContainer(), 2);
    const host = drain(tee.host);
    expect(await Promise.all([host, container])).toEqual([expected, expected]);
  });

  it('cuts the container short when the host stops reading an archive (a limit crossed)', async () => {
    const tee = new TarballTee(file, 64 * MiB);
    const container = drain(tee.forContainer(), 1);
    tee.cutContainer();
    await expect(container).rejects.toThrow(/the host stopped reading this archive/);
    expect(await drain(tee.host)).toEqual(expected);
  });

  it('reports a file that cannot be read to both readers', async () => {
    const tee = new TarballTee(join(dir, 'missing.tar.gz'));
    await expect(drain(tee.host)).rejects.toThrow(/ENOENT/);
    await expect(drain(tee.forContainer())).rejects.toThrow(/ENOENT/);
  });
});
