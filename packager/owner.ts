/**
 * Which build a leftover belongs to. Temp files in `--out` and staging folders in the temp dir
 * carry their owner in their name, `<pid>.<start>`: the pid and its start time in clock ticks
 * after boot (proc(5), /proc/<pid>/stat field 22). A later build removes a leftover only when that
 * process is gone: a pid reused by another process has another start time, and a live concurrent
 * build keeps its files. (doctor/boot/owner.ts applies the same /proc rule to containers.)
 */
import { readFileSync } from 'node:fs';

export interface BuildOwner {
  pid: number;
  /** Null where /proc cannot tell (not Linux): then only the pid is compared. */
  start: string | null;
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
function processStart(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
}

export function currentOwner(): BuildOwner {
  return { pid: process.pid, start: processStart(process.pid) };
}

/** `<pid>.<start>` (or `<pid>` alone), safe in a file name. */
export function ownerTag(owner: BuildOwner = currentOwner()): string {
  return owner.start === null ? String(owner.pid) : `${owner.pid}.${owner.start}`;
}

/** The owner at the start of `text` (`12345.678901-...`), or null when it carries none. */
export function parseOwnerTag(text: string): BuildOwner | null {
  const match = /^(\d+)(?:\.(\d+))?(?=-|$)/.exec(text);
  if (match === null) return null;
  const pid = Number(match[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? { pid, start: match[2] ?? null } : null;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the build that owns a leftover still runs. */
export function ownerAlive(owner: BuildOwner): boolean {
  if (!pidExists(owner.pid)) return false;
  if (owner.start === null) return true;
  const start = processStart(owner.pid);
  // No /proc entry for a live pid (another pid namespace): cannot tell, so keep its files.
  return start === null || start === owner.start;
}
