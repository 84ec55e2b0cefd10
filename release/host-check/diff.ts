/**
 * What changed in the host check between two releases: each requirement a host must now meet, or
 * no longer has to, named with what forces it ("the host check now asks for GLIBC 2.28, was 2.17:
 * node (fcntl64)"). `doctor diff` reports it; the order follows the script's.
 */
import { compareKernel, compareVersions } from '../../abi-gate/index.js';
import type { HostRequirements } from './requirements.js';
import { causeText } from './script.js';

export interface HostRequirementChange {
  /** `machine`, `libc`, `kernel`, a floor family (`GLIBC`, ...), or `library`. */
  requirement: string;
  /** For a library, its name; else null. */
  library: string | null;
  old: string | null;
  new: string | null;
  /** `rose`/`fell` for versions, `added`/`removed` for a requirement that appeared or went, `changed` otherwise. */
  change: 'rose' | 'fell' | 'added' | 'removed' | 'changed';
  message: string;
}

/** The changes from `old` to `next`; a release without recorded requirements (an older manifest) compares as none. */
export function diffHostRequirements(old: HostRequirements | null, next: HostRequirements | null): HostRequirementChange[] {
  if (old === null || next === null) return [];
  const changes: HostRequirementChange[] = [];
  const push = (requirement: string, library: string | null, a: string | null, b: string | null, order: number, causes: string): void => {
    const change = a === null ? 'added' : b === null ? 'removed' : order === 0 ? 'changed' : order < 0 ? 'rose' : 'fell';
    const what = library ?? requirement;
    const message =
      b === null
        ? `the host check no longer asks for ${what}${a === null || library !== null ? '' : ` (was ${a})`}`
        : `the host check now asks for ${what}${library === null ? ` ${b}` : ''}${a === null || library !== null ? '' : `, was ${a}`}${causes === '' ? '' : `: ${causes}`}`;
    changes.push({ requirement, library, old: a, new: b, change, message });
  };

  if (old.machine !== next.machine) push('machine', null, old.machine, next.machine, 0, '');
  if (old.libc !== next.libc) push('libc', null, old.libc, next.libc, 0, '');
  const ok = old.kernel?.version ?? null;
  const nk = next.kernel?.version ?? null;
  if (ok !== nk && (ok === null || nk === null || compareKernel(ok, nk) !== 0)) {
    push('Linux kernel', null, ok, nk, ok === null || nk === null ? 0 : compareKernel(ok, nk), causeText(next.kernel?.forcedBy ?? []));
  }
  const families = [...new Set([...old.floors, ...next.floors].map((f) => f.family))];
  for (const family of families) {
    const a = old.floors.find((f) => f.family === family);
    const b = next.floors.find((f) => f.family === family);
    const av = a?.version ?? null;
    const bv = b?.version ?? null;
    if (av !== null && bv !== null && compareVersions(av, bv) === 0) continue;
    push(family, null, av, bv, av === null || bv === null ? 0 : compareVersions(av, bv), causeText(b?.forcedBy ?? []));
  }
  const oldLibs = new Set(old.libraries.map((l) => l.name));
  const newLibs = new Set(next.libraries.map((l) => l.name));
  for (const lib of next.libraries) if (!oldLibs.has(lib.name)) push('library', lib.name, null, lib.name, 0, causeText(lib.neededBy));
  for (const lib of old.libraries) if (!newLibs.has(lib.name)) push('library', lib.name, lib.name, null, 0, '');
  return changes;
}
