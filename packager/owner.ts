/**
 * Which build a leftover belongs to. Temp files in `--out` and staging folders in the temp dir
 * carry their owner in their name, `<pid>.<start>`: the pid and its start time in clock ticks
 * after boot (proc(5), /proc/<pid>/stat field 22). A later build removes a leftover only when that
 * process is gone: a pid reused by another process has another start time, and a live concurrent
 * build keeps its files. The rule itself is release/process-owner.ts, which doctor's gc uses too.
 */
import { processRuns, processStart } from '../release/index.js';

export interface BuildOwner {
  pid: number;
  /** Null where /proc cannot tell (not Linux): then only the pid is compared. */
  start: string | null;
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

/** Whether the build that owns a leftover still runs. */
export function ownerAlive(owner: BuildOwner): boolean {
  return processRuns(owner.pid, owner.start);
}
