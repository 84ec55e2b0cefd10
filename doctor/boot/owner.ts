/**
 * Who owns a container, recorded in its labels when it is created, and whether that owner still
 * lives. `doctor gc` removes a container only when its owner is gone: two CI jobs on one runner
 * (or two engineers on one engine) share the engine, and a sweep by label alone killed the other
 * job's boot mid-extract (issue 8, "gc kills other runs").
 *
 * An owner is a process on a host. On the same host (same hostname and kernel boot) the process is
 * alive when /proc/<pid>/stat exists and still has the start time recorded: a pid reused by another
 * process has another start time (proc(5), field 22). A container owned from another host (another
 * machine on a shared engine, or another pid namespace: a CI job inside a container) cannot be
 * asked, so it carries a lease: it belongs to its run until the lease ends.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { pidExists, processRuns, processStart } from '../../release/index.js';

// The /proc rule lives in release/process-owner.ts; the tests read start times through here too.
export { processStart };

export const LABEL_OWNER_HOST = 'remote-ai.owner.host';
export const LABEL_OWNER_BOOT = 'remote-ai.owner.boot';
export const LABEL_OWNER_PID = 'remote-ai.owner.pid';
export const LABEL_OWNER_START = 'remote-ai.owner.start';
/** ISO time after which a container of an owner that cannot be asked counts as abandoned. */
export const LABEL_LEASE = 'remote-ai.lease-until';

/**
 * How long a boot may hold its container when nobody can check its process: longer than any
 * boot takes (image cached: seconds; a 200 MB install on a slow CI disk: a few minutes).
 */
export const DEFAULT_LEASE_MS = 60 * 60 * 1000;

export interface Owner {
  host: string;
  /** The kernel's boot id: after a reboot no pid of before is alive, whatever its number. */
  boot: string | null;
  pid: number;
  /** Start time of the process in clock ticks after boot (/proc/<pid>/stat field 22). */
  start: string | null;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function bootId(): string | null {
  return readOrNull('/proc/sys/kernel/random/boot_id')?.trim() ?? null;
}

/** This process as an owner. */
export function currentOwner(): Owner {
  return { host: hostname(), boot: bootId(), pid: process.pid, start: processStart(process.pid) };
}

export function ownerLabels(owner: Owner, leaseUntil: Date): Record<string, string> {
  return {
    [LABEL_OWNER_HOST]: owner.host,
    ...(owner.boot === null ? {} : { [LABEL_OWNER_BOOT]: owner.boot }),
    [LABEL_OWNER_PID]: String(owner.pid),
    ...(owner.start === null ? {} : { [LABEL_OWNER_START]: owner.start }),
    [LABEL_LEASE]: leaseUntil.toISOString(),
  };
}

export type Liveness =
  | { alive: true; why: string }
  | { alive: false; why: string };

export interface ContainerFacts {
  labels: Record<string, string>;
  /** Seconds since the epoch, as the engine lists it. */
  created: number;
}

/**
 * Whether the run that made a container may still be using it, judged from here (`self`).
 * Containers from before owners were recorded have no owner labels: their lease is counted from
 * their creation, so a boot of an older doctor running right now is not swept either.
 */
export function judgeOwner(facts: ContainerFacts, self: Owner, now = new Date()): Liveness {
  const { labels } = facts;
  const host = labels[LABEL_OWNER_HOST];
  const pid = Number(labels[LABEL_OWNER_PID]);
  if (host === self.host && Number.isInteger(pid) && pid > 0) {
    const boot = labels[LABEL_OWNER_BOOT];
    if (boot !== undefined && self.boot !== null && boot !== self.boot) return { alive: false, why: 'its host rebooted since' };
    const recorded = labels[LABEL_OWNER_START] ?? null;
    if (processRuns(pid, recorded)) return { alive: true, why: `process ${pid} is running` };
    return { alive: false, why: pidExists(pid) ? `process ${pid} has exited (its pid was reused)` : `process ${pid} has exited` };
  }
  const lease = labels[LABEL_LEASE];
  const until = lease === undefined ? new Date((facts.created * 1000) + DEFAULT_LEASE_MS) : new Date(lease);
  if (Number.isNaN(until.getTime())) return { alive: false, why: `unreadable lease "${lease}"` };
  const whose = host === undefined ? 'no recorded owner' : `owned from host ${host}`;
  return until > now
    ? { alive: true, why: `${whose}, lease until ${until.toISOString()}` }
    : { alive: false, why: `${whose}, lease ended ${until.toISOString()}` };
}
