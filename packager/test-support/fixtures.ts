/** Shared helpers of packager's tests: fixture paths, temp folders, node tarballs, tree hashes. */
import { createHash } from 'node:crypto';
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create as createTar } from 'tar';
import { fixturePath } from '../../abi-gate/test-support/index.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const SERVER_FIXTURES = fixturePath('server');
export const SAMPLE = join(SERVER_FIXTURES, 'sample');
export const MAC_BUILT = join(SERVER_FIXTURES, 'mac-built.tar.gz');
export const NODE_STUB = join(SERVER_FIXTURES, 'node-stub', 'node');
export const NATIVE_X64 = join(SERVER_FIXTURES, 'native-linux-x64');
export const ELF = fixturePath('elf');
export const COMMIT = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c';
export const PTY = 'node_modules/node-pty/build/Release/pty.node';

const made: string[] = [];

export async function tempDir(prefix = 'packager-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export async function cleanTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A node-v<V>-linux-<arch>[-glibc-217].tar.gz holding `binary` as <top>/bin/node, made by node-tar. */
export async function makeNodeTarball(dir: string, version: string, binary = NODE_STUB, arch = 'x64', suffix = ''): Promise<string> {
  const top = `node-v${version}-linux-${arch}${suffix}`;
  const work = await tempDir();
  await mkdir(join(work, top, 'bin'), { recursive: true });
  await copyFile(binary, join(work, top, 'bin', 'node'));
  const file = join(dir, `${top}.tar.gz`);
  await createTar({ gzip: true, cwd: work, file, portable: true }, [top]);
  return file;
}

/** A single overlay folder holding `source` at `path`. */
export async function makeOverlay(source: string, path = PTY): Promise<string> {
  const dir = await tempDir('packager-native-');
  await mkdir(join(dir, path, '..'), { recursive: true });
  await copyFile(source, join(dir, path));
  return dir;
}

/** sha256 over every path, type, mode and content below `root`: detects any change. */
export async function hashTree(root: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string, rel: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name);
      const stats = await lstat(abs);
      hash.update(`${rel}/${name}\0${stats.mode}\0${stats.mtimeMs}\0`);
      if (stats.isDirectory()) await walk(abs, `${rel}/${name}`);
      else if (stats.isSymbolicLink()) hash.update(await readlink(abs));
      else hash.update(await readFile(abs));
    }
  };
  const stats = await lstat(root);
  if (stats.isDirectory()) await walk(root, '');
  else hash.update(await readFile(root));
  return hash.digest('hex');
}

/** Names in a folder, or null when it does not exist. */
export async function listing(dir: string): Promise<string[] | null> {
  return readdir(dir).then((names) => names.sort(), () => null);
}
