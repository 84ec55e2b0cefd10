/**
 * Hostile tarballs for doctor's tests: a minimal server to mutate, a good release re-emitted with a
 * mutation, a gzip bomb. The bytes are written by the one raw tar writer of the tests
 * (abi-gate/tar/test-support/raw-tar.ts), because node-tar's writer sanitises exactly what these
 * tests need: absolute paths, `..`, devices, setuid bits, duplicate paths and xattr pax keys.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import { readTar, type TarEntryType } from '../../abi-gate/index.js';
import { buildTar, buildTarGz, fixturePath, headerBlock, type TarEntryKind, type TarEntrySpec } from '../../abi-gate/test-support/index.js';
import { hostCheckEntry, withHostCheck } from './host-check.js';

export type RawType = TarEntryKind;
/** An entry of a hostile tarball: the shared raw tar writer's entry spec. */
export type RawEntry = TarEntrySpec;

export { buildTar, buildTarGz };

/** Reads every entry of a (good) tarball into memory with the project's tar reader, to mutate and re-emit it. */
export async function readEntries(file: string): Promise<RawEntry[]> {
  const entries: RawEntry[] = [];
  await readTar(file, async (info, body) => {
    const raw: RawEntry = { path: info.path, mode: info.mode, type: fromTarType(info.type) };
    if (info.linkpath !== null && info.linkpath !== '') raw.linkpath = info.linkpath;
    if (raw.type === 'file') {
      const chunks: Buffer[] = [];
      await body.forEach((chunk) => chunks.push(chunk));
      raw.content = Buffer.concat(chunks);
    }
    entries.push(raw);
  });
  return entries;
}

function fromTarType(type: TarEntryType): RawType {
  switch (type) {
    case 'char-device':
      return 'chardev';
    case 'block-device':
      return 'blockdev';
    case 'other':
      return 'file';
    default:
      return type;
  }
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Re-emits `source` with `mutate` applied and, when `manifest` is given, writes a copy of that
 * manifest beside `dest` whose tarball sha256/size (and file name) describe the new tarball, so
 * only the mutation itself can fail a check.
 */
export async function mutateTarball(
  source: string,
  dest: string,
  mutate: (entries: RawEntry[]) => RawEntry[],
  options: { manifest?: string; editManifest?: (manifest: Record<string, unknown>) => void } = {},
): Promise<void> {
  const bytes = buildTarGz(mutate(await readEntries(source)));
  await writeFile(dest, bytes);
  if (options.manifest === undefined) return;
  const manifest = JSON.parse(await readFile(options.manifest, 'utf8')) as Record<string, unknown>;
  const tarball = manifest.tarball as Record<string, unknown>;
  tarball.sha256 = sha256(bytes);
  tarball.size = bytes.length;
  tarball.file = dest.split('/').pop();
  options.editManifest?.(manifest);
  await writeFile(sidecarOf(dest), JSON.stringify(manifest, null, 2));
}

export function sidecarOf(tarball: string): string {
  return tarball.replace(/\.(tar\.gz|tgz)$/, '') + '.manifest.json';
}

/**
 * A gzip bomb written streaming: one tar header declaring `declaredSize` bytes of one entry, then
 * `members` copies of one gzip member of 1 MiB of zeros (gunzip joins members), so a file of a few
 * MB inflates to `members` MiB without anything large ever being held in memory.
 */
export async function writeGzipBomb(file: string, options: { declaredSize: number; members: number; path?: string }): Promise<void> {
  const header = gzipSync(headerBlock({ name: options.path ?? 'bomb/zeros', mode: 0o644, size: options.declaredSize, typeflag: '0', mtime: 0 }));
  const zeros = gzipSync(Buffer.alloc(1 << 20), { level: 9 });
  const out = createWriteStream(file);
  out.write(header);
  for (let i = 0; i < options.members; i += 1) {
    if (!out.write(zeros)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** The node stand-in of the sample server: an x86_64 ELF that says it is node 16.20.2. */
export const NODE_STUB = fixturePath('server', 'node-stub', 'node');
export const TEST_COMMIT = '0123456789abcdef0123456789abcdef01234567';
export const TOP = `remote-ai-server-${TEST_COMMIT}-linux-x64`;

/** A minimal server that passes every check except `manifest` (it has none). */
export async function serverEntries(): Promise<RawEntry[]> {
  const node = await readFile(NODE_STUB);
  const entries: RawEntry[] = [
    { path: `${TOP}/`, type: 'directory' },
    { path: `${TOP}/bin/`, type: 'directory' },
    { path: `${TOP}/bin/helpers/`, type: 'directory' },
    { path: `${TOP}/bin/remote-ai-server`, mode: 0o755, content: '#!/bin/sh\nexec "$(dirname "$0")/../node" "$(dirname "$0")/../out/server-main.js" "$@"\n' },
    { path: `${TOP}/extensions/`, type: 'directory' },
    { path: `${TOP}/extensions/sample/`, type: 'directory' },
    { path: `${TOP}/extensions/sample/package.json`, content: '{"name":"sample"}\n' },
    { path: `${TOP}/node`, mode: 0o755, content: node },
    { path: `${TOP}/out/`, type: 'directory' },
    { path: `${TOP}/out/server-main.js`, content: 'console.log("hello")\n' },
    { path: `${TOP}/product.json`, content: JSON.stringify({ commit: TEST_COMMIT, version: '1.0.0' }) },
  ];
  // The host check packager generates, in packager's order (bin/helpers/ sorts before bin/remote-ai-server).
  entries.splice(3, 0, hostCheckEntry(entries, TOP));
  return entries;
}

/**
 * Writes `<dir>/<caseName>/<TOP>.tar.gz` (the packager's file name, which carries name, commit
 * and arch) from the minimal server after `mutate`, and returns its path.
 */
export async function writeServerTarball(
  dir: string,
  mutate: (entries: RawEntry[]) => RawEntry[] = (e) => e,
  caseName = 'default',
): Promise<string> {
  await mkdir(`${dir}/${caseName}`, { recursive: true });
  const file = `${dir}/${caseName}/${TOP}.tar.gz`;
  // The host check is generated again from the mutated binaries: only the mutation can fail a check.
  await writeFile(file, buildTarGz(withHostCheck(mutate(await serverEntries()), TOP)));
  return file;
}
