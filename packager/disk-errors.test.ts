import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ToolError } from '../abi-gate/index.js';
import { asDiskError } from './disk-errors.js';
import { cleanTempDirs, COMMIT, NODE_STUB, SAMPLE, tempDir } from './test-support/fixtures.js';
import { buildArgs, startPackager } from './test-support/spawn.js';

/** Real full and read-only file systems: small tmpfs mounts, which need root (CI runs as root). */
const mounts: string[] = [];
function canMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = join('/tmp', `packager-mount-probe-${process.pid}`);
  mkdirSync(probe, { recursive: true });
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
  if (ok) spawnSync('umount', [probe]);
  return ok;
}
const MOUNTABLE = canMount();
if (!MOUNTABLE && process.env.CI === 'true') throw new Error('CI=true but tmpfs cannot be mounted here: these tests need root');

async function tmpfs(size: string, readOnly = false): Promise<string> {
  const dir = await tempDir('packager-tmpfs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
  if (readOnly) execFileSync('mount', ['-o', 'remount,ro', dir]);
  return dir;
}

afterAll(async () => {
  for (const dir of mounts.splice(0)) spawnSync('umount', [dir]);
  await cleanTempDirs();
});

async function build(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  const run = startPackager(args, env);
  const { code } = await run.exited;
  return { code, stderr: run.stderr() };
}

describe.skipIf(!MOUNTABLE)('a full or read-only disk is an exit-2 error naming the folder (skipped: needs root to mount tmpfs)', () => {
  it('ENOSPC in --out while packing: exit 2, --out named, nothing left in it', async () => {
    const out = await tmpfs('8k');
    const { code, stderr } = await build(buildArgs(out));
    expect(code).toBe(2);
    expect(stderr).toBe(`packager build: no space left in --out ${out} (ENOSPC) (free some space there, or pass another --out)\n`);
    expect(readdirSync(out)).toEqual([]);
  });

  it('ENOSPC in the temp folder while staging a server tarball: exit 2, the temp folder named', async () => {
    const tmp = await tmpfs('48k');
    const out = await tempDir();
    const server = join(await tempDir(), 'server.tar.gz');
    execFileSync('tar', ['-czf', server, '-C', SAMPLE, '.']);
    const args = ['build', '--server', server, '--commit', COMMIT, '--node', NODE_STUB, '--prune-foreign', '--out', out];
    const { code, stderr } = await build(args, { TMPDIR: tmp });
    expect(code).toBe(2);
    expect(stderr).toBe(`packager build: no space left in the temp folder ${tmp} (ENOSPC) (free some space there, or point TMPDIR at a bigger folder)\n`);
    expect(readdirSync(tmp)).toEqual([]);
    expect(readdirSync(out)).toEqual([]);
  });

  it('EROFS: a read-only --out is refused before any work', async () => {
    const out = await tmpfs('1m', true);
    const { code, stderr } = await build(buildArgs(out));
    expect(code).toBe(2);
    expect(stderr).toBe(`packager build: --out ${out} is not writable: read-only file system (EROFS) (pass a folder you can write to)\n`);
  });

  it('EROFS: a read-only temp folder is named', async () => {
    const tmp = await tmpfs('1m', true);
    const { code, stderr } = await build(buildArgs(await tempDir()), { TMPDIR: tmp });
    expect(code).toBe(2);
    expect(stderr).toBe(`packager build: read-only file system in the temp folder ${tmp} (EROFS) (remount it read-write, or point TMPDIR at a bigger folder)\n`);
  });
});

describe('disk error mapping', () => {
  const out = { label: '--out dist', path: '/w/dist', otherwise: 'or pass another --out' };
  const temp = { label: 'the temp folder /tmp', path: '/tmp', otherwise: 'or point TMPDIR at a bigger folder' };
  const errno = (code: string, path?: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: boom`), { code, ...(path === undefined ? {} : { path }) });

  it('names the folder of the failing path, else the folder being written; EDQUOT too', () => {
    const quota = asDiskError(errno('EDQUOT', '/w/dist/.packager-1-x'), [out, temp], temp);
    expect(quota).toBeInstanceOf(ToolError);
    expect((quota as ToolError).toLine()).toBe('disk quota exceeded in --out dist (EDQUOT) (free some space or raise the quota, or pass another --out)');
    expect((quota as ToolError).exitCode).toBe(2);
    expect((asDiskError(errno('ENOSPC'), [out, temp], temp) as ToolError).message).toBe('no space left in the temp folder /tmp (ENOSPC)');
    // /w/dist-other is not inside /w/dist.
    expect((asDiskError(errno('ENOSPC', '/w/dist-other/x'), [out, temp], temp) as ToolError).message).toContain('temp folder');
  });

  it('leaves other errors alone', () => {
    const other = errno('EIO', '/w/dist/x');
    expect(asDiskError(other, [out, temp], temp)).toBe(other);
  });
});
