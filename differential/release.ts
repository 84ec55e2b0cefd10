/**
 * A good release as a list of logical entries, re-emitted canonically or with a planted defect,
 * and the manifest an attacker would write for it: consistent with what doctor's reader sees, so
 * that only the defect itself can fail a check.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { readTar } from '../abi-gate/index.js';
import type { Manifest, ManifestFile } from '../packager/index.js';
import { END, member, paxMember, type HeaderFields } from '../abi-gate/test-support/index.js';

export interface LogicalEntry {
  /** Archive path; folders end in '/'. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  content: Buffer;
  link: string;
}

/** One entry as a case writes it: a logical entry plus its twist. */
export interface CaseEntry extends LogicalEntry {
  /** Header fields written instead of the canonical ones. */
  fields?: Partial<HeaderFields>;
  /** Raw bytes (extended headers, GNU records, zero blocks) written right before the header. */
  before?: Buffer[];
  /** Pax records written in an `x` header before it, instead of the canonical ones. */
  pax?: ReadonlyArray<readonly [string, string | Buffer]>;
  /** The body as written (default: content, for files only). */
  body?: Buffer;
}

export interface GoodRelease {
  tarball: string;
  manifest: Manifest;
  top: string;
  entries: LogicalEntry[];
}

export async function loadRelease(tarball: string, manifestFile: string): Promise<GoodRelease> {
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
  const entries: LogicalEntry[] = [];
  await readTar(tarball, async (info, body) => {
    const chunks: Buffer[] = [];
    await body.forEach((chunk) => chunks.push(Buffer.from(chunk)));
    const type = info.type === 'directory' ? 'directory' : info.type === 'symlink' ? 'symlink' : 'file';
    entries.push({ path: info.path, type, mode: info.mode, content: Buffer.concat(chunks), link: info.linkpath ?? '' });
  });
  return { tarball, manifest, top: entries[0]?.path.replace(/\/$/, '') ?? '', entries };
}

const TYPEFLAG = { file: '0', directory: '5', symlink: '2' } as const;

/** Writes the entries as packager would (pax `path`/`linkpath` past 100 bytes), with each entry's twist. */
export function emit(entries: readonly CaseEntry[], end: Buffer = END): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(...(entry.before ?? []));
    const records: Array<readonly [string, string | Buffer]> = [];
    if (Buffer.byteLength(entry.path) > 100) records.push(['path', entry.path]);
    if (Buffer.byteLength(entry.link) > 100) records.push(['linkpath', entry.link]);
    const pax = entry.pax ?? records;
    if (pax.length > 0) parts.push(paxMember(pax));
    const body = entry.body ?? (entry.type === 'file' ? entry.content : Buffer.alloc(0));
    const name = Buffer.byteLength(entry.path) > 100 ? cut(entry.path, entry.type === 'directory') : entry.path;
    parts.push(member({ name, mode: entry.mode, typeflag: TYPEFLAG[entry.type], linkname: cut(entry.link, true), ...entry.fields }, body));
  }
  parts.push(end);
  return Buffer.concat(parts);
}

function cut(text: string, keepSlash: boolean): string {
  const bytes = Buffer.from(text);
  const short = bytes.length <= 100 ? text : bytes.subarray(0, 100).toString('utf8').replace(/\uFFFD+$/, '');
  return keepSlash ? short : short.replace(/\/+$/, '');
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `./a//b/` -> `a/b`, as doctor reads a stored name. */
function normal(path: string): string {
  return path
    .split('/')
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

/**
 * The file list doctor would compute from `tarball` (relative to the top folder, later entries
 * winning), or null when doctor's reader cannot read it.
 */
export async function readerView(tarball: string): Promise<ManifestFile[] | null> {
  const files = new Map<string, ManifestFile>();
  let top: string | null = null;
  try {
    await readTar(tarball, async (info, body) => {
      const chunks: Buffer[] = [];
      await body.forEach((chunk) => chunks.push(chunk));
      const parts = normal(info.path).split('/');
      top ??= parts[0] ?? '';
      if (parts[0] !== top || parts.length < 2) return;
      const type = info.type === 'file' || info.type === 'directory' || info.type === 'symlink' ? info.type : null;
      if (type === null) return;
      const file: ManifestFile = {
        path: parts.slice(1).join('/'),
        type,
        size: type === 'file' ? info.size : 0,
        sha256: type === 'file' ? sha256(Buffer.concat(chunks)) : null,
        mode: (info.mode & 0o7777).toString(8).padStart(4, '0'),
      };
      if (type === 'symlink') file.linkTarget = info.linkpath ?? '';
      files.set(file.path, file);
    });
  } catch {
    return null;
  }
  return [...files.values()];
}

/**
 * Writes `gz` as `<dir>/<top>.tar.gz` and the attacker's manifest beside it: the good manifest
 * with the tarball's sha256 and size and the file list doctor's reader sees. Returns the view.
 */
export async function writeCase(dir: string, release: GoodRelease, gz: Buffer): Promise<{ tarball: string; view: ManifestFile[] | null }> {
  const tarball = `${dir}/${release.top}.tar.gz`;
  await writeFile(tarball, gz);
  const view = await readerView(tarball);
  const manifest: Manifest = {
    ...release.manifest,
    tarball: { ...release.manifest.tarball, sha256: sha256(gz), size: gz.length },
    files: view ?? release.manifest.files,
  };
  await writeFile(`${dir}/${release.top}.manifest.json`, JSON.stringify(manifest, null, 2));
  return { tarball, view };
}
