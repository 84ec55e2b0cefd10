import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeOwnedDir, ownerTag, pidExists, processRuns, processStart, removeDeadOwned } from './process-owner.js';

describe('process-owner: is the process that left something behind still running', () => {
  it('reads the start time ps reports, and judges a live process, a reused pid and an exited one', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = child.pid as number;
    try {
      const start = processStart(pid);
      // ps's start time in clock ticks after boot is field 22 too (independent reader).
      const ps = spawnSync('ps', ['-o', 'pid=', '-p', String(pid)], { encoding: 'utf8' });
      expect(ps.stdout.trim()).toBe(String(pid));
      expect(start).toMatch(/^\d+$/);
      expect(pidExists(pid)).toBe(true);
      expect(processRuns(pid, start)).toBe(true);
      expect(processRuns(pid, null)).toBe(true);
      // Another start time under the same pid is another process: the recorded one is gone.
      expect(processRuns(pid, String(Number(start) + 1))).toBe(false);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    expect(pidExists(pid)).toBe(false);
    expect(processRuns(pid, null)).toBe(false);
    expect(processStart(pid)).toBeNull();
  });

  it('reads field 22 past a command name with spaces and parentheses', async () => {
    // The kernel takes the command name (comm) from the executable's file name.
    const dir = mkdtempSync(join(tmpdir(), 'owner-'));
    const odd = join(dir, 'a) (b c');
    copyFileSync('/bin/sleep', odd);
    chmodSync(odd, 0o755);
    const child = spawn(odd, ['30'], { stdio: 'ignore' });
    const pid = child.pid as number;
    try {
      await once(child, 'spawn');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      expect(stat).toContain('(a) (b c)');
      // Counted from the end of the line: the 30 fields after field 22 hold no spaces.
      const fields = stat.trim().split(' ');
      expect(processStart(pid)).toBe(fields[fields.length - 52 + 21]);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sweeps the folders of owners that are gone, keeps live and unowned ones', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'owned-'));
    try {
      const mine = await makeOwnedDir(folder, 'x-');
      expect(mine.startsWith(join(folder, `x-${ownerTag()}-`))).toBe(true);
      const child = spawn('sleep', ['30'], { stdio: 'ignore' });
      await once(child, 'spawn');
      const tag = ownerTag({ pid: child.pid as number, start: processStart(child.pid as number) });
      child.kill('SIGKILL');
      await once(child, 'exit');
      mkdirSync(join(folder, `x-${tag}-abc`));
      mkdirSync(join(folder, 'x-unowned'));
      mkdirSync(join(folder, `y-${tag}-abc`));
      expect(await removeDeadOwned(folder, 'x-')).toEqual([join(folder, `x-${tag}-abc`)]);
      expect(readdirSync(folder).sort()).toEqual([mine.slice(folder.length + 1), 'x-unowned', `y-${tag}-abc`].sort());
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
