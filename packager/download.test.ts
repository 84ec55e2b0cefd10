import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ToolError } from '../abi-gate/index.js';
import { build } from './build.js';
import { FetchDownloader } from './download.js';
import { bypassesProxy } from './proxy.js';
import { cleanTempDirs, COMMIT, makeNodeTarball, NATIVE_X64, NODE_STUB, SAMPLE, tempDir } from './test-support/fixtures.js';
import { BIN, startPackager } from './test-support/spawn.js';

const VERSION = '16.20.2';
const OFFICIAL = `node-v${VERSION}-linux-x64.tar.gz`;
const GLIBC217 = `node-v${VERSION}-linux-x64-glibc-217.tar.gz`;

/** A real mirror on loopback: /good, /wrong (bad checksum) and /missing (no line) release trees. */
let mirror: Server;
let base: string;
const hits: string[] = [];

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  const dir = await tempDir();
  const official = await readFile(await makeNodeTarball(dir, VERSION));
  const glibc217 = await readFile(await makeNodeTarball(dir, VERSION, NODE_STUB, 'x64', '-glibc-217'));
  const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
  const sums = `${'0'.repeat(64)}  node-v${VERSION}-darwin-x64.tar.gz\n${sha(official)}  ${OFFICIAL}\n${sha(glibc217)}  ${GLIBC217}\n`;
  const files: Record<string, Buffer | string> = {
    [`/good/v${VERSION}/SHASUMS256.txt`]: sums,
    [`/good/v${VERSION}/${OFFICIAL}`]: official,
    [`/good/v${VERSION}/${GLIBC217}`]: glibc217,
    [`/wrong/v${VERSION}/SHASUMS256.txt`]: sums.replace(sha(official), 'a'.repeat(64)),
    [`/wrong/v${VERSION}/${OFFICIAL}`]: official,
    [`/missing/v${VERSION}/SHASUMS256.txt`]: `${sha(glibc217)}  ${GLIBC217}\n`,
    [`/missing/v${VERSION}/${OFFICIAL}`]: official,
  };
  mirror = createServer((req, res) => {
    hits.push(req.url ?? '');
    const body = files[req.url ?? ''];
    if (body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': Buffer.byteLength(body) }).end(body);
  });
  base = `http://127.0.0.1:${await listen(mirror)}`;
});

afterAll(async () => {
  await new Promise((resolve) => mirror.close(resolve));
  await cleanTempDirs();
});

async function buildWith(extra: { mirror: string; cacheDir: string; flavor?: string; env?: Record<string, string> }) {
  return build({
    server: SAMPLE,
    commit: COMMIT,
    out: await tempDir(),
    node: VERSION,
    nodeMirror: extra.mirror,
    nodeFlavor: extra.flavor,
    cacheDir: extra.cacheDir,
    native: [NATIVE_X64],
    pruneForeign: true,
    downloader: new FetchDownloader({ env: extra.env ?? {} }),
  });
}

async function failure(promise: Promise<unknown>): Promise<ToolError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ToolError);
  expect((error as ToolError).exitCode).toBe(2);
  expect((error as ToolError).message).not.toContain('\n');
  return error as ToolError;
}

describe('node downloads from a mirror', () => {
  test('verified download, cached by content, reused without downloading again', async () => {
    const cacheDir = await tempDir();
    hits.length = 0;
    const first = await buildWith({ mirror: `${base}/good`, cacheDir });
    expect(first.manifest.node).toMatchObject({ version: VERSION, moduleVersion: 93, flavor: 'official', source: `${base}/good/v${VERSION}/${OFFICIAL}` });
    expect(first.manifest.node.sha256).toBe(createHash('sha256').update(await readFile(NODE_STUB)).digest('hex'));
    const blobs = await readdir(join(cacheDir, 'blobs'));
    expect(blobs).toHaveLength(1);
    const blob = await readFile(join(cacheDir, 'blobs', blobs[0] as string));
    expect(blobs[0]).toBe(`sha256-${createHash('sha256').update(blob).digest('hex')}`);
    await buildWith({ mirror: `${base}/good`, cacheDir });
    expect(hits.filter((url) => url.endsWith(OFFICIAL))).toHaveLength(1);
    expect(hits.filter((url) => url.endsWith('SHASUMS256.txt'))).toHaveLength(2);
  });

  test('--node-flavor glibc-217 fetches the glibc-217 build', async () => {
    hits.length = 0;
    const result = await buildWith({ mirror: `${base}/good`, cacheDir: await tempDir(), flavor: 'glibc-217' });
    expect(result.manifest.node.flavor).toBe('glibc-217');
    expect(hits).toContain(`/good/v${VERSION}/${GLIBC217}`);
  });

  test('a checksum mismatch is refused and nothing is cached', async () => {
    const cacheDir = await tempDir();
    const error = await failure(buildWith({ mirror: `${base}/wrong`, cacheDir }));
    expect(error.code).toBe('CHECKSUM_MISMATCH');
    expect(error.message).toContain(OFFICIAL);
    expect(await readdir(join(cacheDir, 'blobs'))).toEqual([]);
  });

  test('a SHASUMS256.txt without the line is refused before downloading', async () => {
    hits.length = 0;
    const error = await failure(buildWith({ mirror: `${base}/missing`, cacheDir: await tempDir() }));
    expect(error.code).toBe('CHECKSUM_MISSING');
    expect(hits.some((url) => url.endsWith(OFFICIAL))).toBe(false);
  });

  test('an unknown version is a 404, an unreachable mirror one line', async () => {
    expect((await failure(buildWith({ mirror: `${base}/nowhere`, cacheDir: await tempDir() }))).code).toBe('DOWNLOAD_STATUS');
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(buildWith({ mirror: `http://127.0.0.1:${port}/dist`, cacheDir: await tempDir() }));
    expect(error.code).toBe('DOWNLOAD_UNREACHABLE');
    expect(error.message).toContain('ECONNREFUSED');
  });
});

describe('proxies', () => {
  test('HTTP_PROXY tunnels through a CONNECT proxy; NO_PROXY bypasses it', async () => {
    const tunnels: string[] = [];
    const proxy = createServer((_req, res) => res.writeHead(405).end());
    proxy.on('connect', (req, client) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
    });
    const proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
    try {
      const host = new URL(base).host;
      await buildWith({ mirror: `${base}/good`, cacheDir: await tempDir(), env: { HTTP_PROXY: proxyUrl } });
      expect(tunnels).toContain(host);
      tunnels.length = 0;
      await buildWith({ mirror: `${base}/good`, cacheDir: await tempDir(), env: { HTTP_PROXY: proxyUrl, NO_PROXY: 'localhost,127.0.0.1' } });
      expect(tunnels).toEqual([]);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  test('a proxy that refuses CONNECT is a one-line error', async () => {
    const proxy = createServer();
    proxy.on('connect', (_req, client) => client.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
    const proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
    try {
      const error = await failure(buildWith({ mirror: `${base}/good`, cacheDir: await tempDir(), env: { http_proxy: proxyUrl } }));
      expect(error.code).toBe('DOWNLOAD_UNREACHABLE');
      expect(error.message).toContain('403');
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  test('NO_PROXY rules follow curl', () => {
    const url = new URL('https://mirror.example.com:8443/dist');
    expect(bypassesProxy(url, {})).toBe(false);
    expect(bypassesProxy(url, { NO_PROXY: '*' })).toBe(true);
    expect(bypassesProxy(url, { no_proxy: 'example.com' })).toBe(true);
    expect(bypassesProxy(url, { NO_PROXY: '.example.com' })).toBe(true);
    expect(bypassesProxy(url, { NO_PROXY: 'example.com:443' })).toBe(false);
    expect(bypassesProxy(url, { NO_PROXY: 'example.com:8443' })).toBe(true);
    expect(bypassesProxy(url, { NO_PROXY: 'ample.com,other.org' })).toBe(false);
  });
});

// The bundled bin loads node-fetch (ESM only) from a chunk required on demand: the code it loads
// with a V8 code cache could not run that import() (scripts/bundle-bins.mjs).
describe.skipIf(!existsSync(BIN))('the bundled packager bin (skipped when not built: run `npm run build`)', () => {
  test('downloads node from the mirror', async () => {
    const args = ['build', '--server', SAMPLE, '--commit', COMMIT, '--out', await tempDir(), '--node', VERSION, '--node-mirror', `${base}/good`];
    const run = startPackager([...args, '--cache-dir', await tempDir(), '--native', NATIVE_X64, '--prune-foreign', '--json'], {});
    const { code } = await run.exited;
    expect(run.stderr()).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(run.stdout())).toMatchObject({ ok: true, node: { version: VERSION, source: `${base}/good/v${VERSION}/${OFFICIAL}` } });
  });
});
