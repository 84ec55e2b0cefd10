import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from './checkpoints.js';
import { cleanTempDirs, COMMIT, tempDir } from './test-support/fixtures.js';
import { buildArgs, invariantBreaks, pausedAt, startPackager } from './test-support/spawn.js';

afterAll(cleanTempDirs);

const OTHER = 'f'.repeat(40);
const THIRD = 'e'.repeat(40);

/** Every point a build passes, in order: after each phase, and before and after each rename. */
const POINTS: Checkpoint[] = [
  'options',
  'staged',
  'gated',
  'packed',
  'manifest-written',
  'locked',
  'old-tarball-removed', // before the manifest's rename
  'manifest-renamed', // after it
  'sums-written', // before SHA256SUMS's rename
  'sums-renamed', // after it, and before the tarball's rename
  'tarball-renamed', // after it
];

async function run(out: string, tmp: string, commit: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  const r = startPackager(buildArgs(out, commit), { TMPDIR: tmp, ...env });
  const { code } = await r.exited;
  return { code, stderr: r.stderr() };
}

const leftovers = (out: string, tmp: string): string[] => [
  ...readdirSync(out).filter((n) => n.startsWith('.packager-')),
  ...readdirSync(tmp).filter((n) => n.startsWith('remote-ai-packager-')),
];

describe('the invariant checker', () => {
  it('reports a tarball without manifest or SHA256SUMS line', async () => {
    const out = await tempDir();
    writeFileSync(join(out, 'x.tar.gz'), 'not really');
    expect(invariantBreaks(out)).toEqual(['x.tar.gz: no manifest', 'x.tar.gz: no SHA256SUMS line']);
  });
});

describe('packager killed with SIGKILL at every point', () => {
  it.each(POINTS)('at %s: every visible tarball has its manifest and SHA256SUMS line; the next build removes the leftovers', async (point) => {
    const out = await tempDir();
    const tmp = await tempDir('packager-tmpdir-');
    // A release already there, and one being rebuilt: the kill hits a replacement.
    expect((await run(out, tmp, OTHER)).code).toBe(0);
    expect((await run(out, tmp, COMMIT)).code).toBe(0);
    const before = execFileSync('sha256sum', [join(out, readdirSync(out).find((n) => n.includes(COMMIT) && n.endsWith('.tar.gz')) as string)]).toString();

    // Another mtime: the rebuilt tarball differs from the one it replaces (builds are reproducible).
    const killed = startPackager(buildArgs(out, COMMIT), { TMPDIR: tmp, SOURCE_DATE_EPOCH: '1700000000', REMOTE_AI_PACKAGER_PAUSE_AT: point });
    await pausedAt(killed, point);
    killed.child.kill('SIGKILL');
    expect((await killed.exited).signal).toBe('SIGKILL');
    expect(invariantBreaks(out)).toEqual([]);
    // Nothing a reader could mistake for a release: no manifest without its tarball... except
    // between the manifest's and the tarball's rename, which the next build clears up.
    const tarballs = readdirSync(out).filter((n) => n.endsWith('.tar.gz') && !n.startsWith('.'));
    expect(tarballs.length).toBeGreaterThanOrEqual(1);
    if (POINTS.indexOf(point) < POINTS.indexOf('old-tarball-removed')) {
      expect(execFileSync('sha256sum', [join(out, tarballs.find((n) => n.includes(COMMIT)) as string)]).toString()).toBe(before);
    }

    const next = await run(out, tmp, THIRD);
    expect(next.code, next.stderr).toBe(0);
    expect(invariantBreaks(out)).toEqual([]);
    expect(leftovers(out, tmp)).toEqual([]);
    const manifests = readdirSync(out).filter((n) => n.endsWith('.manifest.json'));
    for (const m of manifests) expect(readdirSync(out)).toContain(m.replace(/\.manifest\.json$/, '.tar.gz'));
    expect(spawnSync('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: out }).status).toBe(0);
  });
});

describe('live builds and signals', () => {
  it("a build leaves a live build's temp files alone; SIGTERM then cleans them up", async () => {
    const out = await tempDir();
    const tmp = await tempDir('packager-tmpdir-');
    const live = startPackager(buildArgs(out, COMMIT), { TMPDIR: tmp, REMOTE_AI_PACKAGER_PAUSE_AT: 'packed' });
    await pausedAt(live, 'packed');
    const mine = leftovers(out, tmp);
    expect(mine.length).toBeGreaterThanOrEqual(2); // a temp tarball in --out, a staging folder in TMPDIR
    expect((await run(out, tmp, OTHER)).code).toBe(0);
    expect(leftovers(out, tmp)).toEqual(mine);
    live.child.kill('SIGTERM');
    const ended = await live.exited;
    expect(ended.signal).toBe('SIGTERM');
    expect(leftovers(out, tmp)).toEqual([]);
    expect(invariantBreaks(out)).toEqual([]);
    expect(readdirSync(out).filter((n) => n.includes(COMMIT))).toEqual([]);
  });

  it('SIGINT while staging removes the staging folder and leaves --out as it was', async () => {
    const out = await tempDir();
    const tmp = await tempDir('packager-tmpdir-');
    const r = startPackager(buildArgs(out, COMMIT), { TMPDIR: tmp, REMOTE_AI_PACKAGER_PAUSE_AT: 'staged' });
    await pausedAt(r, 'staged');
    expect(leftovers(out, tmp)).toHaveLength(1);
    r.child.kill('SIGINT');
    expect((await r.exited).signal).toBe('SIGINT');
    expect(leftovers(out, tmp)).toEqual([]);
    expect(readdirSync(out)).toEqual([]);
  });

  it('a second build into the same --out waits for the publish lock, and takes it over when its holder dies', async () => {
    const out = await tempDir();
    const tmp = await tempDir('packager-tmpdir-');
    const holder = startPackager(buildArgs(out, COMMIT), { TMPDIR: tmp, REMOTE_AI_PACKAGER_PAUSE_AT: 'manifest-renamed' });
    await pausedAt(holder, 'manifest-renamed');
    const waiter = startPackager(buildArgs(out, OTHER), { TMPDIR: tmp, REMOTE_AI_PACKAGER_PAUSE_AT: 'locked' });
    await new Promise((r) => setTimeout(r, 1500));
    expect(waiter.stderr()).not.toContain('paused at locked');
    holder.child.kill('SIGKILL');
    await holder.exited;
    await pausedAt(waiter, 'locked');
    waiter.child.kill('SIGTERM');
    await waiter.exited;
    expect((await run(out, tmp, OTHER)).code).toBe(0);
    expect(invariantBreaks(out)).toEqual([]);
    expect(readdirSync(out).sort()).toEqual(['SHA256SUMS', `remote-ai-server-${OTHER}-linux-x64.manifest.json`, `remote-ai-server-${OTHER}-linux-x64.tar.gz`]);
  });
});

describe('leftovers of builds that died before this code (no start time in the name)', () => {
  it('are removed when their pid is gone', async () => {
    const out = await tempDir();
    const tmp = await tempDir('packager-tmpdir-');
    // A pid that cannot be running: above the kernel's pid_max.
    writeFileSync(join(out, '.packager-99999999-abcdef-x.tar.gz'), 'partial');
    mkdirSync(join(tmp, 'remote-ai-packager-99999999.1234-AbCdEf'));
    copyFileSync(join(import.meta.dirname, '..', 'package.json'), join(tmp, 'remote-ai-packager-99999999.1234-AbCdEf', 'f'));
    // Not packager's: left alone.
    writeFileSync(join(out, '.packager-notes'), 'mine');
    expect((await run(out, tmp, COMMIT)).code).toBe(0);
    expect(leftovers(out, tmp)).toEqual(['.packager-notes']);
  });
});
