/**
 * Installs a tarball the way the IDE's resolver does, in a sandbox of its own, with each real
 * extractor, and records what landed: inside the install folder, and anything anywhere else in
 * the sandbox.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { x } from 'tar';

export type Installer = 'gnu-tar-root' | 'gnu-tar-user' | 'node-tar';
export const INSTALLERS: readonly Installer[] = ['gnu-tar-root', 'gnu-tar-user', 'node-tar'];

/** The unprivileged user GNU tar runs as (nobody). */
const NOBODY = 65534;

/** Who must own what an installer wrote: the user it ran as (root installs take the archive's 0:0). */
export function ownerOf(installer: Installer): number {
  return installer === 'gnu-tar-user' ? NOBODY : 0;
}

export interface InstalledEntry {
  type: 'file' | 'directory' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  sha256: string | null;
  link: string | null;
}

export interface Installation {
  installer: Installer;
  /** Relative to the install folder, '/'-separated; folders included. */
  files: Map<string, InstalledEntry>;
  /** Paths (relative to the case root) that appeared or changed outside the install folder. */
  outside: string[];
  /** Symlinks in the install folder that resolve outside it. */
  escapes: string[];
  status: number | null;
}

/** Decoys around the install folder: they must be untouched afterwards. */
const DECOYS: Record<string, string> = {
  'home/user/.bashrc': 'decoy: the user\'s shell profile\n',
  'home/user/.remote-ai-server/bin/other/keep': 'decoy: another installed release\n',
  'outside/keep': 'decoy: outside the sandbox\n',
};

/**
 * Lays out `<root>/home/user/.remote-ai-server/bin/<commit>` with the decoys, installs `tarball`
 * with `installer` and snapshots the result. `root` must not exist yet.
 */
export async function install(tarball: string, root: string, commit: string, installer: Installer): Promise<Installation> {
  const folder = join(root, 'home/user/.remote-ai-server/bin', commit);
  mkdirSync(folder, { recursive: true, mode: 0o755 });
  for (const [path, text] of Object.entries(DECOYS)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  let status: number | null = 0;
  if (installer === 'node-tar') {
    try {
      await x({ file: tarball, cwd: folder, strip: 1 });
    } catch {
      status = 1;
    }
  } else {
    const args = ['-xzf', tarball, '-C', folder, '--strip-components=1'];
    if (installer === 'gnu-tar-user') chownTree(root, NOBODY);
    const run =
      installer === 'gnu-tar-root'
        ? spawnSync('tar', args, { stdio: ['ignore', 'ignore', 'pipe'] })
        : spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'tar', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    status = run.status;
  }
  return { installer, status, ...snapshot(root, folder) };
}

function chownTree(path: string, id: number): void {
  chownSync(path, id, id);
  if (!lstatSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) chownTree(join(path, name), id);
}

function snapshot(root: string, folder: string): Pick<Installation, 'files' | 'outside' | 'escapes'> {
  const files = new Map<string, InstalledEntry>();
  const outside: string[] = [];
  const escapes: string[] = [];
  const chain = new Set(['home', 'home/user', 'home/user/.remote-ai-server', 'home/user/.remote-ai-server/bin', relative(root, folder)]);
  // Names are read as bytes: an archive may carry names that are not UTF-8.
  const walk = (dir: Buffer, relDir: string): void => {
    const names = readdirSync(dir, { encoding: 'buffer' });
    names.sort(Buffer.compare);
    for (const name of names) {
      const path = Buffer.concat([dir, SLASH, name]);
      const rel = relDir === '' ? name.toString('utf8') : `${relDir}/${name.toString('utf8')}`;
      const info = lstatSync(path);
      const text = path.toString('utf8');
      if (text.startsWith(folder + sep)) {
        const entry: InstalledEntry = {
          type: info.isFile() ? 'file' : info.isDirectory() ? 'directory' : info.isSymbolicLink() ? 'symlink' : 'other',
          mode: info.mode & 0o7777,
          uid: info.uid,
          gid: info.gid,
          sha256: info.isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex') : null,
          link: info.isSymbolicLink() ? readlinkSync(path, 'utf8') : null,
        };
        files.set(text.slice(folder.length + 1), entry);
        if (entry.link !== null && !inside(resolveLink(path, text, entry.link), folder)) escapes.push(rel);
      } else if (chain.has(rel) && info.isDirectory()) {
        // The folders leading to the install folder.
      } else if (rel in DECOYS) {
        if (!info.isFile() || readFileSync(path, 'utf8') !== DECOYS[rel]) outside.push(`${rel} (decoy changed)`);
        continue;
      } else if (['outside', 'home/user/.remote-ai-server/bin/other'].includes(rel) && info.isDirectory()) {
        // Decoy folders.
      } else {
        outside.push(rel);
        continue;
      }
      if (info.isDirectory()) walk(path, rel);
    }
  };
  walk(Buffer.from(root), '');
  return { files, outside, escapes };
}

const SLASH = Buffer.from('/');

/** Where a symlink leads as the kernel resolves it; a dangling one lexically. */
function resolveLink(path: Buffer, text: string, target: string): string {
  try {
    return realpathSync(path, 'utf8');
  } catch {
    return resolve(dirname(text), target);
  }
}

function inside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder + sep);
}

export async function removeInstall(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}
