import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ToolError } from '../abi-gate/index.js';
import { build } from './build.js';
import { cleanTempDirs, COMMIT, listing, NATIVE_X64, NODE_STUB, SAMPLE, tempDir } from './test-support/fixtures.js';
import { rawTarGz, type RawEntry } from './test-support/raw-tar.js';

afterAll(cleanTempDirs);

/** A minimal valid server in a tarball, plus `extra` entries. */
async function serverTarball(extra: RawEntry[]): Promise<string> {
  const dir = await tempDir();
  const file = join(dir, 'server.tar.gz');
  const main = await readFile(join(SAMPLE, 'out/server-main.js'));
  const product = await readFile(join(SAMPLE, 'product.json'));
  await writeFile(
    file,
    rawTarGz([
      { path: 'vscode-reh-linux-x64/', type: '5', mode: 0o755 },
      { path: 'vscode-reh-linux-x64/out/', type: '5', mode: 0o755 },
      { path: 'vscode-reh-linux-x64/out/server-main.js', data: main },
      { path: 'vscode-reh-linux-x64/product.json', data: product },
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

test('an absolute path is refused naming the entry', () => refused([{ path: '/etc/evil', data: 'x' }], '/etc/evil'));
test('a ".." path is refused', () => refused([{ path: 'vscode-reh-linux-x64/../../evil', data: 'x' }], '../../evil'));
test('a symlink leaving the archive is refused', () =>
  refused([{ path: 'vscode-reh-linux-x64/link', type: '2', linkname: '../../../etc' }], 'vscode-reh-linux-x64/link'));
test('an absolute symlink is refused', () => refused([{ path: 'vscode-reh-linux-x64/abs', type: '2', linkname: '/etc/passwd' }], '/etc/passwd'));
test('a hard link to something outside is refused', () =>
  refused([{ path: 'vscode-reh-linux-x64/hard', type: '1', linkname: '../etc/passwd' }], 'hard link'));
test('a character device is refused', () => refused([{ path: 'vscode-reh-linux-x64/tty', type: '3' }], 'char-device'));
test('a FIFO is refused', () => refused([{ path: 'vscode-reh-linux-x64/pipe', type: '6' }], 'fifo'));
test('writing through an earlier symlink is refused', () =>
  refused(
    [
      { path: 'vscode-reh-linux-x64/sub/', type: '5', mode: 0o755 },
      { path: 'vscode-reh-linux-x64/inner', type: '2', linkname: 'sub' },
      { path: 'vscode-reh-linux-x64/inner/file', data: 'x' },
    ],
    'written through',
  ));
test('a path appearing twice is refused', () =>
  refused(
    [
      { path: 'vscode-reh-linux-x64/twice', data: 'a' },
      { path: 'vscode-reh-linux-x64/twice', data: 'b' },
    ],
    'appears twice',
  ));

test('a hard link to an earlier file becomes a copy', async () => {
  const server = await serverTarball([{ path: 'vscode-reh-linux-x64/again.json', type: '1', linkname: 'vscode-reh-linux-x64/product.json' }]);
  const result = await build({ server, commit: COMMIT, out: await tempDir(), node: NODE_STUB, native: [NATIVE_X64].slice(1) });
  const again = result.manifest.files.find((f) => f.path === 'again.json');
  const product = await readFile(join(SAMPLE, 'product.json'));
  expect(again).toMatchObject({ type: 'file', size: product.length });
});
