/**
 * One case of the harness: write the tarball and the attacker's manifest, run doctor verify,
 * install with every extractor, and hold the outcome to the property: doctor fails, or every
 * extractor installed exactly the manifest's file list and nothing else anywhere.
 */
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { verify } from '../doctor/index.js';
import type { ManifestFile } from '../packager/index.js';
import { INSTALLERS, install, ownerOf, type Installation, type Installer } from './install.js';
import { writeCase, type GoodRelease } from './release.js';

export interface CaseOutcome {
  name: string;
  doctorOk: boolean;
  /** Ids of doctor's failed checks (or `unreadable`). */
  failed: string[];
  /** Per extractor: how its install differs from the file list doctor saw (empty: identical). */
  differences: Record<Installer, string[]>;
  /** Broken promises: doctor passed, yet an extractor installed something else. */
  violations: string[];
}

export interface Workspace {
  dir: string;
  /** Absolute folder that link cases aim at; must stay empty. */
  absOutside: string;
}

export async function workspace(dir: string): Promise<Workspace> {
  // The unprivileged extractor must reach the tarballs and its sandbox.
  await chmod(dir, 0o755);
  const absOutside = join(dir, 'abs-outside');
  await mkdir(absOutside, { recursive: true });
  return { dir, absOutside };
}

/**
 * Writes the case with the attacker's manifest (consistent with doctor's reading) and holds it to
 * the property. `installAlways` installs even when doctor refused, to record the differences.
 */
export async function runCase(ws: Workspace, release: GoodRelease, name: string, gz: Buffer, index: number, installAlways: boolean): Promise<CaseOutcome> {
  const caseDir = join(ws.dir, `case-${index}`);
  await mkdir(caseDir, { mode: 0o755 });
  try {
    const { tarball, view } = await writeCase(caseDir, release, gz);
    return { name, ...(await verifyAndInstall(ws, caseDir, tarball, view ?? [], release.manifest.commit, installAlways)) };
  } finally {
    await rm(caseDir, { recursive: true, force: true });
  }
}

/** doctor verify (sidecar manifest), then each extractor's install against `files`. */
export async function verifyAndInstall(
  ws: Workspace,
  caseDir: string,
  tarball: string,
  files: readonly ManifestFile[],
  commit: string,
  installAlways: boolean,
): Promise<Omit<CaseOutcome, 'name'>> {
  const report = await verify([tarball]);
  const tarballReport = report.tarballs[0];
  const doctorOk = report.ok;
  const failed = tarballReport?.error !== undefined ? ['unreadable'] : (tarballReport?.checks ?? []).filter((c) => c.ok === false).map((c) => c.id);
  const differences = { 'gnu-tar-root': [], 'gnu-tar-user': [], 'node-tar': [] } as Record<Installer, string[]>;
  const violations: string[] = [];
  if (!doctorOk && !installAlways) return { doctorOk, failed, differences, violations };
  for (const installer of INSTALLERS) {
    const root = join(caseDir, installer);
    const installed = await install(tarball, root, commit, installer);
    const diff = compare(files, installed, ownerOf(installer));
    const leaked = await readdir(ws.absOutside);
    if (leaked.length > 0) {
      diff.push(`wrote ${leaked.join(', ')} into the absolute folder outside the sandbox`);
      await rm(ws.absOutside, { recursive: true, force: true });
      await mkdir(ws.absOutside);
    }
    differences[installer] = diff;
    if (doctorOk) for (const d of diff) violations.push(`${installer}: ${d}`);
    await rm(root, { recursive: true, force: true });
  }
  return { doctorOk, failed, differences, violations };
}

const MAX_LISTED = 8;

/** The install against doctor's file list: path, type, mode, sha256, link target; and anything outside. */
export function compare(view: readonly ManifestFile[], installed: Installation, owner: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const file of view) {
    seen.add(file.path);
    const got = installed.files.get(file.path);
    if (got === undefined) {
      out.push(`missing ${file.path}`);
      continue;
    }
    if (got.type !== file.type) out.push(`${file.path}: ${got.type}, doctor saw a ${file.type}`);
    else if (file.type === 'file' && got.sha256 !== file.sha256) out.push(`${file.path}: other content`);
    else if (file.type === 'symlink' && got.link !== (file.linkTarget ?? null)) out.push(`${file.path}: link to ${got.link ?? '?'}, doctor saw ${file.linkTarget ?? '?'}`);
    if (file.type !== 'symlink' && got.type === file.type && got.mode.toString(8).padStart(4, '0') !== file.mode) {
      out.push(`${file.path}: mode ${got.mode.toString(8).padStart(4, '0')}, doctor saw ${file.mode}`);
    }
    if (got.uid !== owner || got.gid !== owner) out.push(`${file.path}: owned by ${got.uid}:${got.gid}, not ${owner}:${owner}`);
  }
  for (const path of installed.files.keys()) if (!seen.has(path)) out.push(`extra ${path}`);
  for (const path of installed.outside) out.push(`outside the install folder: ${path}`);
  for (const path of installed.escapes) out.push(`symlink resolving outside the install folder: ${path}`);
  return out.length > MAX_LISTED ? [...out.slice(0, MAX_LISTED), `... ${out.length - MAX_LISTED} more`] : out;
}
