/**
 * Whether a process that left something behind (a container, a temp file, a staging folder) still
 * runs: its pid plus its start time in clock ticks after boot (proc(5), /proc/<pid>/stat field 22).
 * A pid alone is not enough: the kernel reuses pids, and a reused one has another start time.
 * packager's leftovers and doctor's containers are judged by this one rule.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Field 22 of /proc/<pid>/stat, or null where /proc cannot tell (no such process, not Linux). */
export function processStart(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count from its closing one.
  // Fields after the name start at field 3, so field 22 is index 19.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

/** A process as the owner of what it leaves behind. */
export interface ProcessOwner {
  pid: number;
  /** Null where /proc cannot tell (not Linux): then only the pid is compared. */
  start: string | null;
}

export function currentProcessOwner(): ProcessOwner {
  return { pid: process.pid, start: processStart(process.pid) };
}

/** `<pid>.<start>` (or `<pid>` alone), safe in a file name. */
export function ownerTag(owner: ProcessOwner = currentProcessOwner()): string {
  return owner.start === null ? String(owner.pid) : `${owner.pid}.${owner.start}`;
}

/** The owner at the start of `text` (`12345.678901-...`), or null when it carries none. */
export function parseOwnerTag(text: string): ProcessOwner | null {
  const match = /^(\d+)(?:\.(\d+))?(?=-|$)/.exec(text);
  if (match === null) return null;
  const pid = Number(match[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? { pid, start: match[2] ?? null } : null;
}

/** Whether the process that owns a leftover still runs. */
export function ownerAlive(owner: ProcessOwner): boolean {
  return processRuns(owner.pid, owner.start);
}

/** A new private folder `<folder>/<prefix><owner>-XXXXXX` that names this process as its owner. */
export async function makeOwnedDir(folder: string, prefix: string): Promise<string> {
  return mkdtemp(join(folder, `${prefix}${ownerTag()}-`));
}

/** Names in `folder` starting with `prefix` whose owner is recorded and gone. */
export async function deadOwnedNames(folder: string, prefix: string): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  return names.filter((name) => {
    if (!name.startsWith(prefix)) return false;
    const owner = parseOwnerTag(name.slice(prefix.length));
    return owner !== null && !ownerAlive(owner);
  });
}

/**
 * Removes what processes that are gone left in `folder` under `prefix` (a SIGKILL runs no
 * `finally`); returns the removed paths. Best effort: one that cannot be removed is left.
 */
export async function removeDeadOwned(folder: string, prefix: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await deadOwnedNames(folder, prefix)) {
    const path = join(folder, name);
    try {
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // another user's, or gone already: not this run's problem
    }
  }
  return removed;
}

/** Whether `pid` names a live process here, asked with signal 0 (works without /proc too). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether process `pid`, recorded with start time `start` (null when none was recorded), still
 * runs. A live pid that /proc does not show (another pid namespace) counts as running: whoever
 * asks is about to delete its files, and keeping a dead run's leftovers is the safe mistake.
 */
export function processRuns(pid: number, start: string | null): boolean {
  if (!pidExists(pid)) return false;
  if (start === null) return true;
  const now = processStart(pid);
  return now === null || now === start;
}
