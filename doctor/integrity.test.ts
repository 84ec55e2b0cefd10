import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildTar, serverEntries, TOP, writeServerTarball } from './test-support/hostile-tarballs.js';
import { checkOf, failedIds, useTempDir, verifyOne } from './test-support/run.js';
import { exitCodeOf, verify } from './verify.js';

const dir = useTempDir('integrity');

async function variant(name: string, make: (good: Buffer) => Buffer | Promise<Buffer>): Promise<string> {
  const good = await readFile(await writeServerTarball(dir(), undefined, `${name}-source`));
  await mkdir(`${dir()}/${name}`, { recursive: true });
  const file = `${dir()}/${name}/${TOP}.tar.gz`;
  await writeFile(file, await make(good));
  return file;
}

describe('integrity', () => {
  it('passes a complete gzip\'d tar and reports its sha256', async () => {
    const file = await writeServerTarball(dir(), undefined, 'good');
    const check = checkOf(await verifyOne(file, { policy: 'none' }), 'integrity');
    expect(check.ok).toBe(true);
    const { createHash } = await import('node:crypto');
    expect(check.details).toEqual([`sha256 ${createHash('sha256').update(await readFile(file)).digest('hex')}`]);
  });

  it('fails a truncated gzip stream (exit 1), and whole-archive checks are skipped', async () => {
    const file = await variant('truncated', (good) => good.subarray(0, Math.floor(good.length / 2)));
    const tarball = await verifyOne(file, { policy: 'none' });
    const check = checkOf(tarball, 'integrity');
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/truncated/);
    expect(checkOf(tarball, 'layout').ok).toBeNull();
    expect(exitCodeOf({ ok: tarball.ok, tarballs: [tarball] })).toBe(1);
  });

  it('fails trailing garbage after the gzip stream', async () => {
    const check = checkOf(await verifyOne(await variant('garbage', (good) => Buffer.concat([good, Buffer.from('garbage after the end')])), { policy: 'none' }), 'integrity');
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/trailing|garbage|corrupt/);
  });

  it('fails trailing zero bytes after the gzip stream (zlib alone ignores them)', async () => {
    const check = checkOf(await verifyOne(await variant('zeros', (good) => Buffer.concat([good, Buffer.alloc(4096)])), { policy: 'none' }), 'integrity');
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/trailing/);
  });

  it('fails a file that is not gzip (a plain tar)', async () => {
    const plain = buildTar(await serverEntries());
    const tarball = await verifyOne(await variant('plain', () => plain), { policy: 'none' });
    expect(checkOf(tarball, 'integrity').message).toMatch(/not a gzip file/);
    expect(failedIds(tarball)).toContain('integrity');
  });

  it('fails an empty file', async () => {
    expect(checkOf(await verifyOne(await variant('empty', () => Buffer.alloc(0)), { policy: 'none' }), 'integrity').ok).toBe(false);
  });

  it('fails a gzip whose tar lacks its end-of-archive blocks', async () => {
    const cut = gzipSync(buildTar(await serverEntries(), { end: false }));
    const check = checkOf(await verifyOne(await variant('no-end', () => cut), { policy: 'none' }), 'integrity');
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/end-of-archive|truncated|ends/);
  });

  it('fails a corrupt tar header checksum', async () => {
    const tar = buildTar(await serverEntries());
    tar[512 * 1 + 148] = 0x37; // a digit of the second header's checksum
    const check = checkOf(await verifyOne(await variant('bad-header', () => gzipSync(tar)), { policy: 'none' }), 'integrity');
    expect(check.ok).toBe(false);
  });

  it('reports a missing file as unreadable (exit 2), after verifying the others', async () => {
    const good = await writeServerTarball(dir(), undefined, 'with-missing');
    const report = await verify([`${dir()}/nope/${TOP}.tar.gz`, good], { policy: 'none' });
    expect(report.tarballs[0]?.error).toMatch(/cannot read it \(ENOENT\)/);
    expect(report.tarballs[1]?.checks.length).toBe(11);
    expect(exitCodeOf(report)).toBe(2);
  });

  it('reports a folder as unreadable (exit 2)', async () => {
    await appendFile(`${dir()}/marker`, '');
    const report = await verify([dir()], { policy: 'none' });
    expect(report.tarballs[0]?.error).toMatch(/not a regular file/);
    expect(exitCodeOf(report)).toBe(2);
  });
});
