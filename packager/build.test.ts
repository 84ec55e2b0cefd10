import { execFileSync, spawnSync } from 'node:child_process';
import { cp, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ToolError } from '../abi-gate/index.js';
import { readTar } from '../abi-gate/index.js';
import { build, type BuildResult } from './build.js';
import { validateManifest } from '../release/index.js';
import type { BuildOptions } from './options.js';
import {
  cleanTempDirs,
  COMMIT,
  ELF,
  hashTree,
  listing,
  MAC_BUILT,
  makeOverlay,
  NATIVE_X64,
  NODE_STUB,
  PTY,
  SAMPLE,
  tempDir,
} from './test-support/fixtures.js';

afterAll(cleanTempDirs);

const FOREIGN = [
  'node_modules/@parcel/watcher/prebuilds/darwin-x64/watcher.node',
  'node_modules/@parcel/watcher/prebuilds/linux-arm64-glibc/watcher.node',
  'node_modules/@parcel/watcher/prebuilds/linux-x64-musl/watcher.node',
  'node_modules/@parcel/watcher/prebuilds/win32-x64/watcher.node',
];

function options(out: string, extra: Partial<BuildOptions> = {}): BuildOptions {
  return { server: SAMPLE, commit: COMMIT, out, node: NODE_STUB, native: [NATIVE_X64], pruneForeign: true, ...extra };
}

async function expectError(promise: Promise<unknown>, code: string, exitCode: 1 | 2): Promise<ToolError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ToolError);
  const tool = error as ToolError;
  expect({ code: tool.code, exitCode: tool.exitCode, message: tool.message }).toMatchObject({ code, exitCode });
  expect(tool.message).not.toContain('\n');
  return tool;
}

interface ListedEntry {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number | null;
  pax: Record<string, string>;
  content: Buffer;
}

/** Every entry of a tarball, read with the project's one tar reader (raw pax records included). */
async function readEntries(tarball: string): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = [];
  await readTar(tarball, async (entry, body) => {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk);
    entries.push({
      path: entry.path,
      type: entry.type,
      mode: entry.mode,
      uid: entry.uid,
      gid: entry.gid,
      uname: entry.uname,
      gname: entry.gname,
      mtime: entry.mtime === null ? null : entry.mtime.getTime() / 1000,
      pax: { ...entry.pax, ...entry.globalPax },
      content: Buffer.concat(chunks),
    });
  });
  return entries;
}

describe('a release from the sample server folder', () => {
  let result: BuildResult;
  let out: string;
  let entries: ListedEntry[];
  const top = `remote-ai-server-${COMMIT}-linux-x64`;

  test('builds with the node-pty overlay, the node and foreign prebuilds pruned', async () => {
    out = await tempDir();
    result = await build(options(out));
    entries = await readEntries(result.tarball);
    expect(result.tarball).toBe(join(out, `${top}.tar.gz`));
    expect(result.manifestPath).toBe(join(out, `${top}.manifest.json`));
    expect(result.natives).toEqual([{ path: PTY, action: 'replaced', from: NATIVE_X64 }]);
    expect(result.pruned.map((p) => p.path)).toEqual(FOREIGN);
    expect(result.pruned.map((p) => p.reason)).toEqual([
      expect.stringContaining('Mach-O'),
      expect.stringContaining('aarch64'),
      expect.stringContaining('musl'),
      expect.stringContaining('PE'),
    ]);
    expect(result.commitSet).toBe(true);
    expect(result.launcher).toBe('server');
  });

  test('the tarball has one top folder with the layout doctor checks', () => {
    const paths = entries.map((e) => e.path);
    expect(paths[0]).toBe(`${top}/`);
    expect(paths.every((p) => p.startsWith(`${top}/`))).toBe(true);
    for (const required of ['node', 'bin/remote-ai-server', 'bin/code-server-oss', 'out/server-main.js', 'product.json', 'extensions/', 'node_modules/']) {
      expect(paths).toContain(`${top}/${required}`);
    }
    for (const foreign of FOREIGN) expect(paths).not.toContain(`${top}/${foreign}`);
    expect(paths).not.toContain(`${top}/node_modules/@parcel/watcher/prebuilds/darwin-x64/`);
    const exec = (p: string) => entries.find((e) => e.path === `${top}/${p}`)?.mode;
    expect(exec('node')).toBe(0o755);
    expect(exec('bin/remote-ai-server')).toBe(0o755);
    expect(exec('out/server-main.js')).toBe(0o644);
  });

  test('entries are normalised: root-owned, no names, fixed mtime, no pax headers, sorted', () => {
    for (const entry of entries) {
      expect(entry).toMatchObject({ uid: 0, gid: 0, uname: '', gname: '', mtime: 946684800, pax: {} });
      expect([0o755, 0o644, 0o777]).toContain(entry.mode);
    }
    const paths = entries.map((e) => e.path.replace(/\/$/, '').split('/'));
    const sorted = [...paths].sort((a, b) => {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const order = Buffer.compare(Buffer.from(a[i] as string), Buffer.from(b[i] as string));
        if (order !== 0) return order;
      }
      return a.length - b.length;
    });
    expect(paths).toEqual(sorted);
  });

  test('product.json gets the commit, the node and overlay are the ones given', async () => {
    const product = JSON.parse(entries.find((e) => e.path === `${top}/product.json`)?.content.toString() ?? '{}') as Record<string, unknown>;
    expect(product).toMatchObject({ commit: COMMIT, version: '1.96.0', serverApplicationName: 'code-server-oss' });
    expect(entries.find((e) => e.path === `${top}/node`)?.content.equals(await readFile(NODE_STUB))).toBe(true);
    expect(entries.find((e) => e.path === `${top}/${PTY}`)?.content.equals(await readFile(join(NATIVE_X64, PTY)))).toBe(true);
    const launcher = entries.find((e) => e.path === `${top}/bin/remote-ai-server`)?.content;
    expect(launcher?.equals(await readFile(join(SAMPLE, 'bin/code-server-oss')))).toBe(true);
  });

  test('the manifest is valid, lists every entry with its hash and matches the tarball', async () => {
    const manifest = JSON.parse(await readFile(result.manifestPath, 'utf8')) as unknown;
    const validation = validateManifest(manifest);
    expect(validation.ok).toBe(true);
    expect(manifest).toEqual(result.manifest);
    const m = result.manifest;
    const tarball = await readFile(result.tarball);
    const sha = execFileSync('sha256sum', [result.tarball]).toString().split(' ')[0];
    expect(m.tarball).toEqual({ file: `${top}.tar.gz`, sha256: sha, size: tarball.length });
    expect(m.files.map((f) => f.path)).toEqual(entries.slice(1).map((e) => e.path.slice(top.length + 1).replace(/\/$/, '')));
    for (const file of m.files) {
      const entry = entries.find((e) => e.path.replace(/\/$/, '') === `${top}/${file.path}`);
      expect(file.mode).toBe(`0${entry?.mode.toString(8)}`);
      if (file.type === 'file') {
        expect(file.sha256).toBe(sha256Of(entry?.content ?? Buffer.alloc(0)));
        expect(file.size).toBe(entry?.content.length);
      } else expect(file.sha256).toBeNull();
    }
    expect(m.node).toMatchObject({ version: '16.20.2', moduleVersion: 93, flavor: 'local', source: NODE_STUB });
    expect(m.node.sha256).toBe(execFileSync('sha256sum', [NODE_STUB]).toString().split(' ')[0]);
    expect(m.abi.policy).toBe('centos7');
    expect(m.version).toBe('1.96.0');
  });

  test('the ABI summary agrees with binutils', () => {
    const highest = (file: string): string => {
      const text = execFileSync('objdump', ['-T', file]).toString();
      const versions = [...text.matchAll(/GLIBC_(\d+(?:\.\d+)*)/g)].map((m) => m[1] as string);
      return versions.sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).pop() ?? '';
    };
    const expected = [NODE_STUB, join(NATIVE_X64, PTY)].map(highest).sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).pop();
    expect(result.manifest.abi.minGlibc).toBe(expected);
    expect(result.manifest.abi.minGlibcxx).toBeNull();
    const culpritPaths = new Set(result.manifest.abi.culprits.GLIBC?.map((c) => c.path));
    expect(culpritPaths.has('node')).toBe(true);
  });

  test('SHA256SUMS passes sha256sum -c', async () => {
    expect(await listing(out)).toEqual(['SHA256SUMS', `${top}.manifest.json`, `${top}.tar.gz`]);
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out });
    expect(check.stdout.toString()).toBe(`${top}.tar.gz: OK\n`);
    expect(check.status).toBe(0);
  });

  test('GNU tar lists it without warnings', () => {
    const listed = spawnSync('tar', ['-tvzf', result.tarball]);
    expect(listed.status).toBe(0);
    expect(listed.stderr.toString()).toBe('');
    expect(listed.stdout.toString()).toContain(`0/0`);
  });
});

function sha256Of(data: Buffer): string {
  return execFileSync('sha256sum', { input: data }).toString().split(' ')[0] as string;
}

describe('reproducibility', () => {
  test('two builds give byte-identical tarballs; another SOURCE_DATE_EPOCH does not', async () => {
    const [a, b, c] = [await tempDir(), await tempDir(), await tempDir()];
    const first = await build(options(a));
    const second = await build(options(b));
    const third = await build(options(c, { env: { SOURCE_DATE_EPOCH: '1700000000' } }));
    expect((await readFile(first.tarball)).equals(await readFile(second.tarball))).toBe(true);
    expect(await readFile(first.manifestPath, 'utf8')).toBe(await readFile(second.manifestPath, 'utf8'));
    expect(third.manifest.sourceDateEpoch).toBe(1700000000);
    expect(third.manifest.tarball.sha256).not.toBe(first.manifest.tarball.sha256);
    const head = (await readFile(first.tarball)).subarray(0, 10);
    // gzip: deflate, no FNAME/FEXTRA flags, mtime 0, OS 3 (Unix) whatever the host.
    expect([...head]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  });
});

describe('the mac-built tarball', () => {
  test('becomes a clean release: no AppleDouble, __MACOSX, .DS_Store or xattr pax keys', async () => {
    const out = await tempDir();
    const raw = spawnSync('tar', ['-tzf', MAC_BUILT]);
    expect(raw.stderr.toString()).toContain('Ignoring unknown extended header keyword');
    expect(raw.stdout.toString()).toContain('._product.json');
    const result = await build(options(out, { server: MAC_BUILT }));
    expect(result.stripped.appleDouble).toBeGreaterThan(10);
    expect(result.stripped.macosx).toBe(3);
    expect(result.stripped.dsStore).toBe(2);
    expect(result.stripped.xattrHeaders).toBeGreaterThan(10);
    const entries = await readEntries(result.tarball);
    for (const entry of entries) {
      expect(entry.path).not.toMatch(/(^|\/)(\._|__MACOSX|\.DS_Store)/);
      expect(Object.keys(entry.pax)).toEqual([]);
      expect(entry.uname).toBe('');
    }
    const listed = spawnSync('tar', ['-tvzf', result.tarball]);
    expect(listed.status).toBe(0);
    expect(listed.stderr.toString()).toBe('');
    const fromFolder = await build(options(await tempDir()));
    expect(result.manifest.files).toEqual(fromFolder.manifest.files);
  });
});

describe('checks that stop the build', () => {
  test('foreign binaries without --prune-foreign: exit 1 listing them, out untouched', async () => {
    const out = await tempDir();
    await writeFile(join(out, 'keep.txt'), 'x');
    const error = await expectError(build(options(out, { pruneForeign: false })), 'FOREIGN_BINARIES', 1);
    expect(error).toBeInstanceOf(ToolError);
    expect((error as ToolError).details).toEqual(FOREIGN.map((p) => expect.stringContaining(p)));
    expect(await listing(out)).toEqual(['keep.txt']);
  });

  test('the macOS node-pty without an overlay is foreign too', async () => {
    const error = await expectError(build(options(await tempDir(), { native: [], pruneForeign: false })), 'FOREIGN_BINARIES', 1);
    expect((error as ToolError).details).toContainEqual(expect.stringMatching(/node-pty.*Mach-O/));
  });

  test('a GLIBC_2.28 native fails centos7 with its culprit; nothing reaches out', async () => {
    const out = await tempDir();
    await writeFile(join(out, 'keep.txt'), 'x');
    const overlay = await makeOverlay(join(ELF, 'symver-glibc-2.28.so'));
    const culprits = execFileSync('objdump', ['-T', join(ELF, 'symver-glibc-2.28.so')])
      .toString()
      .split('\n')
      .filter((line) => line.includes('GLIBC_2.28'))
      .map((line) => line.trim().split(/\s+/).pop() as string);
    expect(culprits.length).toBeGreaterThan(0);
    const error = await expectError(build(options(out, { native: [overlay] })), 'POLICY_VIOLATION', 1);
    expect(error.message).toContain(PTY);
    const details = (error as ToolError).details.join('\n');
    for (const symbol of culprits) expect(details).toContain(symbol);
    expect(await listing(out)).toEqual(['keep.txt']);
  });

  test('--policy none lets it through and the manifest names the culprit', async () => {
    const overlay = await makeOverlay(join(ELF, 'symver-glibc-2.28.so'));
    const result = await build(options(await tempDir(), { native: [overlay], policy: 'none' }));
    expect(result.manifest.abi.policy).toBe('none');
    expect(result.manifest.abi.minGlibc).toBe('2.28');
    expect(result.manifest.abi.culprits.GLIBC?.every((c) => c.path === PTY && c.version === 'GLIBC_2.28')).toBe(true);
  });

  test('a policy from a file is used and named', async () => {
    const overlay = await makeOverlay(join(ELF, 'symver-glibc-2.28.so'));
    const policyFile = join(await tempDir(), 'rhel8.json');
    await cp(join(import.meta.dirname, '../abi-gate/policies/manylinux_2_28.json'), policyFile);
    const result = await build(options(await tempDir(), { native: [overlay], policy: policyFile }));
    expect(result.manifest.abi.policy).toBe(policyFile);
  });
});

describe('inputs', () => {
  test('the input folder is never modified', async () => {
    const before = await hashTree(SAMPLE);
    const macBefore = await hashTree(MAC_BUILT);
    await build(options(await tempDir()));
    await build(options(await tempDir(), { server: MAC_BUILT }));
    expect(await hashTree(SAMPLE)).toBe(before);
    expect(await hashTree(MAC_BUILT)).toBe(macBefore);
  });

  test('product.json with another commit is refused; with the same commit it is kept as is', async () => {
    const server = join(await tempDir(), 'server');
    await cp(SAMPLE, server, { recursive: true });
    const product = JSON.parse(await readFile(join(server, 'product.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(server, 'product.json'), JSON.stringify({ ...product, commit: 'f'.repeat(40) }));
    await expectError(build(options(await tempDir(), { server })), 'COMMIT_MISMATCH', 2);
    await writeFile(join(server, 'product.json'), JSON.stringify({ ...product, commit: COMMIT }));
    const result = await build(options(await tempDir(), { server }));
    expect(result.commitSet).toBe(false);
  });

  test('a server without out/server-main.js or product.json is refused naming it', async () => {
    for (const missing of ['out/server-main.js', 'product.json']) {
      const server = join(await tempDir(), 'server');
      await cp(SAMPLE, server, { recursive: true });
      await rm(join(server, missing));
      const error = await expectError(build(options(await tempDir(), { server })), 'SERVER_INCOMPLETE', 2);
      expect(error.message).toContain(missing);
    }
  });

  test('a symlink leaving the server folder is refused; one inside is kept', async () => {
    const server = join(await tempDir(), 'server');
    await cp(SAMPLE, server, { recursive: true });
    await symlink('../product.json', join(server, 'out', 'product-link.json'));
    const result = await build(options(await tempDir(), { server }));
    expect(result.manifest.files).toContainEqual(expect.objectContaining({ path: 'out/product-link.json', type: 'symlink', linkTarget: '../product.json' }));
    await symlink('../../../etc/passwd', join(server, 'out', 'escape'));
    const error = await expectError(build(options(await tempDir(), { server })), 'UNSAFE_SYMLINK', 2);
    expect(error.message).toContain('escape');
  });

  test("links are judged by doctor's rule, through earlier links: x -> . + y -> x/.., a/b/d -> .. + a/b/l -> d/../../.., loops", async () => {
    const cases: Array<[string, Array<[string, string]>]> = [
      ['y', [['x', '.'], ['y', 'x/..']]],
      ['a/b/l', [['a/b/d', '..'], ['a/b/l', 'd/../../..']]],
      ['loop-a', [['loop-a', 'loop-b'], ['loop-b', 'loop-a']]],
    ];
    for (const [culprit, links] of cases) {
      const server = join(await tempDir(), 'server');
      await cp(SAMPLE, server, { recursive: true });
      for (const [path, target] of links) {
        await mkdir(join(server, path, '..'), { recursive: true });
        await symlink(target, join(server, path));
      }
      const out = await tempDir();
      const error = await expectError(build(options(out, { server })), 'UNSAFE_SYMLINK', 2);
      expect(error.message).toContain(culprit);
      expect(error.details.join('\n')).toMatch(/outside|above|loop/);
      expect(await listing(out)).toEqual([]);
    }
  });

  test('usage errors: bad commit, missing server, unwritable out, bad SOURCE_DATE_EPOCH', async () => {
    await expectError(build(options(await tempDir(), { commit: 'ABC' })), 'BAD_COMMIT', 2);
    await expectError(build(options(await tempDir(), { commit: COMMIT.toUpperCase() })), 'BAD_COMMIT', 2);
    await expectError(build(options(await tempDir(), { server: '/nonexistent/server' })), 'INPUT_MISSING', 2);
    const file = join(await tempDir(), 'a-file');
    await writeFile(file, '');
    await expectError(build(options(join(file, 'out'))), 'OUT_UNWRITABLE', 2);
    await expectError(build(options(await tempDir(), { env: { SOURCE_DATE_EPOCH: 'yesterday' } })), 'BAD_SOURCE_DATE_EPOCH', 2);
  });

  test('a server with no node and no --node is refused', async () => {
    await expectError(build(options(await tempDir(), { node: undefined })), 'NODE_REQUIRED', 2);
  });

  test("the server's own Linux node is used when --node is absent", async () => {
    const server = join(await tempDir(), 'server');
    await cp(SAMPLE, server, { recursive: true });
    await cp(NODE_STUB, join(server, 'node'));
    const result = await build(options(await tempDir(), { server, node: undefined }));
    expect(result.manifest.node).toMatchObject({ version: '16.20.2', source: 'server', flavor: 'local' });
  });

  test('a macOS, Windows or wrong-arch node is refused', async () => {
    const watcher = join(SAMPLE, 'node_modules/@parcel/watcher/prebuilds');
    for (const [binary, words] of [
      [join(watcher, 'darwin-x64/watcher.node'), 'Mach-O'],
      [join(watcher, 'win32-x64/watcher.node'), 'PE'],
      [join(ELF, 'aarch64-hello.so'), 'aarch64'],
    ] as const) {
      const dir = await tempDir();
      const fake = join(dir, 'node');
      await writeFile(fake, Buffer.concat([await readFile(binary), Buffer.from('node.js/v20.18.2\0')]));
      const error = await expectError(build(options(await tempDir(), { node: fake })), 'NODE_REFUSED', 2);
      expect(error.message).toContain(words);
    }
  });

  test('a server without a launcher gets a generated POSIX sh one', async () => {
    const server = join(await tempDir(), 'server');
    await cp(SAMPLE, server, { recursive: true });
    await rm(join(server, 'bin'), { recursive: true });
    const result = await build(options(await tempDir(), { server }));
    expect(result.launcher).toBe('generated');
    const entries = await readEntries(result.tarball);
    const launcher = entries.find((e) => e.path.endsWith('/bin/remote-ai-server'));
    expect(launcher?.mode).toBe(0o755);
    expect(launcher?.content.toString()).toContain('"$ROOT/node" "$ROOT/out/server-main.js" "$@"');
    expect(spawnSync('sh', ['-n', '-c', launcher?.content.toString() ?? '']).status).toBe(0);
  });
});

describe('native overlays', () => {
  test('a path the server lacks is refused unless --allow-new', async () => {
    const overlay = await makeOverlay(join(NATIVE_X64, PTY), 'node_modules/new-module/build/Release/new.node');
    const error = await expectError(build(options(await tempDir(), { native: [NATIVE_X64, overlay] })), 'NATIVE_NEW', 2);
    expect(error.message).toContain('node_modules/new-module/build/Release/new.node');
    const result = await build(options(await tempDir(), { native: [NATIVE_X64, overlay], allowNew: true }));
    expect(result.natives.map((n) => n.action)).toEqual(['replaced', 'added']);
  });

  test('a non-ELF, wrong-arch or musl file is refused', async () => {
    for (const [source, words] of [
      [join(SAMPLE, 'package.json'), 'not a native binary'],
      [join(ELF, 'aarch64-hello.so'), 'aarch64'],
      [join(SAMPLE, 'node_modules/@parcel/watcher/prebuilds/linux-x64-musl/watcher.node'), 'musl'],
      [join(SAMPLE, 'node_modules/@parcel/watcher/prebuilds/darwin-x64/watcher.node'), 'Mach-O'],
    ] as const) {
      const overlay = await makeOverlay(source);
      const error = await expectError(build(options(await tempDir(), { native: [overlay] })), 'NATIVE_REFUSED', 2);
      expect(error.message).toContain(words);
    }
  });

  test('an overlay given as a tarball works like the folder', async () => {
    const dir = await tempDir();
    const tarball = join(dir, 'natives.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', NATIVE_X64, 'node_modules']);
    const result = await build(options(await tempDir(), { native: [tarball] }));
    expect(result.natives).toEqual([{ path: PTY, action: 'replaced', from: tarball }]);
  });
});

describe('SHA256SUMS', () => {
  test('covers every tarball in out, sorted, and is rewritten on each build', async () => {
    const out = await tempDir();
    const other = 'ffffffffffffffffffffffffffffffffffffffff';
    await build(options(out));
    await build(options(out, { commit: other }));
    const sums = (await readFile(join(out, 'SHA256SUMS'), 'utf8')).trim().split('\n');
    expect(sums.map((line) => line.split('  ')[1])).toEqual([
      `remote-ai-server-${COMMIT}-linux-x64.tar.gz`,
      `remote-ai-server-${other}-linux-x64.tar.gz`,
    ]);
    const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out });
    expect(check.status).toBe(0);
    expect(check.stdout.toString().match(/: OK/g)).toHaveLength(2);
    expect((await stat(join(out, 'SHA256SUMS'))).isFile()).toBe(true);
  });
});
