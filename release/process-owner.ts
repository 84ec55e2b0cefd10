/**
 * Whether a process that left something behind (a container, a temp file, a staging folder) still
 * runs: its pid plus its start time in clock ticks after boot (proc(5), /proc/<pid>/stat field 22).
 * A pid alone is not enough: the kernel reuses pids, and a reused one has another start time.
 * packager's leftovers and doctor's containers are judged by this one rule.
 */
import { readFileSync } from 'node:fs';

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
