import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from './cli.js';
import { diff, glibcRose } from './diff.js';
import { renderDiffHuman } from './diff-render.js';
import { fixture, readelf } from './test-support/fixtures.js';
import { buildGoodTarball } from './test-support/good-tarball.js';
import { mutateTarball, sidecarOf, type RawEntry } from './test-support/hostile-tarballs.js';
import { useTempDir } from './test-support/run.js';

const dir = useTempDir('diff');
let old: { tarball: string; manifest: string };
let next: { tarball: string; manifest: string };
let lib: Buffer;

const rel = (entry: RawEntry): string => entry.path.replace(/^[^/]+\//, '');

beforeAll(async () => {
  const built = await buildGoodTarball(join(dir(), 'old'));
  old = { tarball: built.tarball, manifest: built.manifestPath };
  // The new release: a module needing GLIBC_2.28 (fcntl64), node 16.20.2 -> 20.18.2, cookie
  // removed, a file grown.
  lib = await fixture('elf/symver-glibc-2.28.so');
  await mkdir(join(dir(), 'new'), { recursive: true });
  const dest = join(dir(), 'new', basename(built.tarball));
  await mutateTarball(
    built.tarball,
    dest,
    (entries) => [
      ...entries
        .filter((e) => !rel(e).startsWith('node_modules/cookie/'))
        .map((e) => {
          if (rel(e) === 'node') return { ...e, content: Buffer.from((e.content as Buffer).toString('latin1').replaceAll('16.20.2', '20.18.2'), 'latin1') };
          if (rel(e) === 'out/server-main.js') return { ...e, content: Buffer.concat([e.content as Buffer, Buffer.alloc(2048, 0x20)]) };
          return e;
        }),
      { path: `${entries[0]?.path ?? ''}node_modules/fs-ext/fs-ext.node`, mode: 0o755, content: lib },
    ],
    { manifest: built.manifestPath },
  );
  next = { tarball: dest, manifest: sidecarOf(dest) };
});

describe('doctor diff', () => {
  it('tells which file and symbol raised min glibc between two tarballs', async () => {
    expect(readelf(['--dyn-syms', '-W'], 'elf/symver-glibc-2.28.so')).toMatch(/fcntl64@GLIBC_2\.28/);
    const report = await diff(old.tarball, next.tarball);
    const glibc = report.abi.find((a) => a.family === 'GLIBC');
    expect(glibc).toMatchObject({ old: '2.2.5', new: '2.28', change: 'rose' });
    expect(glibc?.culprits).toEqual([{ path: 'node_modules/fs-ext/fs-ext.node', symbols: ['fcntl64'] }]);
    const text = renderDiffHuman(report);
    expect(text).toContain('min glibc rose from 2.2.5 to 2.28: node_modules/fs-ext/fs-ext.node (fcntl64)');
    expect(text).toContain('node 16.20.2 (NODE_MODULE_VERSION 93) -> 20.18.2 (NODE_MODULE_VERSION 115)');
    expect(report.node).toMatchObject({ versionChanged: true, moduleVersionChanged: true });
    expect(report.files.added).toEqual([{ path: 'node_modules/fs-ext/fs-ext.node', size: lib.length }]);
    expect(report.files.removed.map((f) => f.path)).toEqual(['node_modules/cookie', 'node_modules/cookie/index.js', 'node_modules/cookie/package.json']);
    const grown = report.files.changed.find((f) => f.path === 'out/server-main.js');
    expect(grown !== undefined && grown.newSize - grown.oldSize).toBe(2048);
    expect(report.files.changed.map((f) => f.path)).toContain('node');
    expect(glibcRose(report)).toBe(true);
  });

  it('reads manifests too, with the culprits the manifest names', async () => {
    const manifest = JSON.parse(await readFile(next.manifest, 'utf8')) as { abi: Record<string, unknown> };
    manifest.abi.minGlibc = '2.28';
    manifest.abi.culprits = { GLIBC: [{ symbol: 'fcntl64', version: 'GLIBC_2.28', library: 'libc.so.6', path: 'node' }] };
    const edited = join(dir(), 'new', 'edited.manifest.json');
    await writeFile(edited, JSON.stringify(manifest));
    const text = renderDiffHuman(await diff(old.manifest, edited));
    expect(text).toContain('min glibc rose from 2.2.5 to 2.28: node (fcntl64)');
  });

  it('is informational: exit 0, 1 only with --fail-on-glibc-rise, 2 when unreadable', async () => {
    let stdout = '';
    const io: CliIo = { stdout: (t) => void (stdout += t), stderr: () => undefined, env: {} };
    expect(await runCli(['diff', old.tarball, next.tarball], io)).toBe(0);
    expect(stdout).toContain('min glibc rose from 2.2.5 to 2.28');
    expect(await runCli(['diff', old.tarball, next.tarball, '--fail-on-glibc-rise'], io)).toBe(1);
    expect(await runCli(['diff', next.tarball, old.tarball, '--fail-on-glibc-rise'], io)).toBe(0);
    expect(await runCli(['diff', old.tarball, join(dir(), 'missing.tar.gz')], io)).toBe(2);
    stdout = '';
    // The new sidecar was copied with only its tarball fields updated: same abi, same files.
    expect(await runCli(['diff', old.manifest, next.manifest, '--json'], io)).toBe(0);
    const parsed = JSON.parse(stdout) as { abi: { change: string }[]; files: { removed: unknown[] } };
    expect(parsed.abi.map((a) => a.change)).toEqual(['same', 'same', 'same']);
    expect(parsed.files.removed).toEqual([]);
  });
});
