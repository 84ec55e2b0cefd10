import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ToolError } from '../abi-gate/index.js';
import { build } from './build.js';
import { cleanTempDirs, COMMIT, listing, NATIVE_X64, NODE_STUB, SAMPLE, tempDir } from './test-support/fixtures.js';
import { buildTarGz, type TarEntrySpec as RawEntry } from '../abi-gate/test-support/index.js';

afterAll(cleanTempDirs);

/** A minimal valid server in a tarball, plus `extra` entries. */
async function serverTarball(extra: RawEntry[]): Promise<string> {
  const dir = await tempDir();
  const file = join(dir, 'server.tar.gz');
  const main = await readFile(join(SAMPLE, 'out/server-main.js'));
  const product = await readFile(join(SAMPLE, 'product.json'));
  await writeFile(
    file,
    buildTarGz([
      { path: 'vscode-reh-linux-x64/', type: 'directory', mode: 0o755 },
      { path: 'vscode-reh-linux-x64/out/', type: 'directory', mode: 0o755 },
      { path: 'vscode-reh-linux-x64/out/server-main.js', content: main },
      { path: 'vscode-reh-linux-x64/product.json', content: product },
      ...extra,
    ]),
  );
  return file;
}

async function refused(extra: RawEntry[], words: string): Promise<void> {
  const out = await tempDir();
  const error = await build({ server: await serverTarball(extra), commit: COMMIT, out, node: NODE_STUB }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ToolError);
  expect((error as ToolError).exitCode).toBe(2);
  expect((error as ToolError).code).toBe('UNSAFE_ENTRY');
  expect((error as ToolError).message).toContain(words);
  expect(await listing(out)).toEqual([]);
}

test('a clean server tarball builds, its single top folder being the server root', async () => {
  const result = await build({ server: await serverTarball([]), commit: COMMIT, out: await tempDir(), node: NODE_STUB, native: [] });
  expect(result.manifest.files.map((f) => f.path)).toEqual(['bin', 'bin/helpers', 'bin/helpers/check-requirements.sh', 'bin/remote-ai-server', 'node', 'out', 'out/server-main.js', 'product.json']);
  expect(result.launcher).toBe('generated');
});

test('an absolute path is refused naming the entry', () => refused([{ path: '/etc/evil', content: 'x' }], '/etc/evil'));
test('a ".." path is refused', () => refused([{ path: 'vscode-reh-linux-x64/../../evil', content: 'x' }], '../../evil'));
test('a symlink leaving the archive is refused', () =>
  refused([{ path: 'vscode-reh-linux-x64/link', type: 'symlink', linkpath: '../../../etc' }], 'vscode-reh-linux-x64/link'));
test('an absolute symlink is refused', () => refused([{ path: 'vscode-reh-linux-x64/abs', type: 'symlink', linkpath: '/etc/passwd' }], '/etc/passwd'));
test('a hard link to something outside is refused', () =>
  refused([{ path: 'vscode-reh-linux-x64/hard', type: 'hardlink', linkpath: '../etc/passwd' }], 'hard link'));
test('a character device is refused', () => refused([{ path: 'vscode-reh-linux-x64/tty', type: 'chardev' }], 'char-device'));
test('a FIFO is refused', () => refused([{ path: 'vscode-reh-linux-x64/pipe', type: 'fifo' }], 'fifo'));
test('writing through an earlier symlink is refused', () =>
  refused(
    [
      { path: 'vscode-reh-linux-x64/sub/', type: 'directory', mode: 0o755 },
      { path: 'vscode-reh-linux-x64/inner', type: 'symlink', linkpath: 'sub' },
      { path: 'vscode-reh-linux-x64/inner/file', content: 'x' },
    ],
    'written through',
  ));
test('a path appearing twice is refused', () =>
  refused(
    [
      { path: 'vscode-reh-linux-x64/twice', content: 'a' },
      { path: 'vscode-reh-linux-x64/twice', content: 'b' },
    ],
    'appears twice',
  ));

test('a hard link to an earlier file becomes a copy', async () => {
  const server = await serverTarball([{ path: 'vscode-reh-linux-x64/again.json', type: 'hardlink', linkpath: 'vscode-reh-linux-x64/product.json' }]);
  const result = await build({ server, commit: COMMIT, out: await tempDir(), node: NODE_STUB, native: [NATIVE_X64].slice(1) });
  const again = result.manifest.files.find((f) => f.path === 'again.json');
  const product = await readFile(join(SAMPLE, 'product.json'));
  expect(again).toMatchObject({ type: 'file', size: product.length });
});

test('a server tarball scanned while it is extracted gives the release its folder gives', async () => {
  // GNU tar writes the tarball; the folder build scans each file from disk, the tarball build
  // scans them from the stream: the manifests must agree on every file, the ABI and what was pruned.
  const dir = await tempDir();
  const tarball = join(dir, 'server.tar.gz');
  execFileSync('tar', ['-C', join(SAMPLE, '..'), '-czf', tarball, '--transform', 's,^sample,vscode-reh-linux-x64,', 'sample']);
  const common = { commit: COMMIT, node: NODE_STUB, native: [NATIVE_X64], pruneForeign: true, policy: 'none' };
  const fromFolder = await build({ ...common, server: SAMPLE, out: await tempDir() });
  const fromTarball = await build({ ...common, server: tarball, out: await tempDir() });
  expect(fromTarball.manifest.files).toEqual(fromFolder.manifest.files);
  expect(fromTarball.manifest.abi).toEqual(fromFolder.manifest.abi);
  expect(fromTarball.pruned).toEqual(fromFolder.pruned);
  // Binaries that only the tarball's stream carried: the musl, arm64 and darwin watchers, pruned.
  expect(fromTarball.pruned.map((p) => p.path)).toEqual(expect.arrayContaining(['node_modules/@parcel/watcher/prebuilds/linux-x64-musl/watcher.node']));
  expect(fromTarball.manifest.abi.culprits.GLIBC?.some((c) => c.path.startsWith('node_modules/@parcel/watcher/'))).toBe(true);
});
