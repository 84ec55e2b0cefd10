import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bootId,
  currentOwner,
  judgeOwner,
  LABEL_LEASE,
  LABEL_OWNER_BOOT,
  LABEL_OWNER_HOST,
  LABEL_OWNER_PID,
  LABEL_OWNER_START,
  ownerLabels,
  processStart,
  type Owner,
} from './owner.js';

const onLinux = process.platform === 'linux';
const now = new Date('2026-01-01T12:00:00Z');
const created = now.getTime() / 1000 - 60;
const children: ReturnType<typeof spawn>[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** A real process that has come and gone: its pid is free (or someone else's) now. */
function exitedOwner(): Owner {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("fs").readFileSync("/proc/self/stat","utf8"))']);
  const stat = child.stdout.toString();
  const pid = Number(stat.split(' ')[0]);
  return { host: hostname(), boot: bootId(), pid, start: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null };
}

describe.skipIf(!onLinux)(onLinux ? 'container owners' : 'container owners (skipped: needs /proc)', () => {
  it('reads the start time of a process from /proc as ps does', () => {
    // ps -o lstart is seconds-grained; etimes and the tick count agree within a second.
    const ticks = Number(processStart(process.pid));
    const hz = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim());
    const uptime = Number((spawnSync('cat', ['/proc/uptime']).stdout.toString().split(' ')[0]));
    const etimes = Number(spawnSync('ps', ['-o', 'etimes=', '-p', String(process.pid)]).stdout.toString().trim());
    expect(Math.abs(uptime - ticks / hz - etimes)).toBeLessThanOrEqual(1.5);
  });

  it('keeps the container of a running process and gives up that of an exited one', () => {
    const child = spawn('sleep', ['30']);
    children.push(child);
    const pid = child.pid ?? expect.fail('no pid');
    const live: Owner = { host: hostname(), boot: bootId(), pid, start: processStart(pid) };
    const self = currentOwner();
    expect(judgeOwner({ labels: ownerLabels(live, now), created }, self, now)).toEqual({ alive: true, why: `process ${pid} is running` });
    const dead = exitedOwner();
    expect(judgeOwner({ labels: ownerLabels(dead, now), created }, self, now)).toMatchObject({ alive: false });
  });

  it('tells a reused pid from its first owner by the start time', () => {
    const reused: Owner = { ...currentOwner(), start: '1' };
    expect(judgeOwner({ labels: ownerLabels(reused, now), created }, currentOwner(), now)).toEqual({
      alive: false,
      why: `process ${process.pid} has exited (its pid was reused)`,
    });
  });

  it('gives up every container of a host that has rebooted since', () => {
    const before: Owner = { ...currentOwner(), boot: '00000000-0000-0000-0000-000000000000' };
    expect(judgeOwner({ labels: ownerLabels(before, now), created }, currentOwner(), now)).toEqual({ alive: false, why: 'its host rebooted since' });
  });

  it('holds a container owned from another host until its lease ends', () => {
    const elsewhere: Owner = { host: 'ci-runner-7', boot: 'x', pid: 1, start: '5' };
    const labels = ownerLabels(elsewhere, new Date(now.getTime() + 1000));
    expect(labels).toMatchObject({ [LABEL_OWNER_HOST]: 'ci-runner-7', [LABEL_OWNER_BOOT]: 'x', [LABEL_OWNER_PID]: '1', [LABEL_OWNER_START]: '5' });
    expect(judgeOwner({ labels, created }, currentOwner(), now).alive).toBe(true);
    expect(judgeOwner({ labels, created }, currentOwner(), new Date(now.getTime() + 2000))).toEqual({
      alive: false,
      why: `owned from host ci-runner-7, lease ended ${labels[LABEL_LEASE]}`,
    });
    expect(judgeOwner({ labels: { ...labels, [LABEL_LEASE]: 'soon' }, created }, currentOwner(), now)).toEqual({
      alive: false,
      why: 'unreadable lease "soon"',
    });
  });

  it('counts the lease of a container without a recorded owner from its creation (an older doctor)', () => {
    expect(judgeOwner({ labels: {}, created }, currentOwner(), now)).toMatchObject({ alive: true, why: expect.stringMatching(/^no recorded owner, lease until /) });
    expect(judgeOwner({ labels: {}, created: created - 2 * 3600 }, currentOwner(), now)).toMatchObject({ alive: false });
  });
});
