/**
 * What a target arch is, in the three spellings the toolkit meets: the release's (`x64`, node's
 * `process.arch`), the ELF e_machine abi-gate reports (`x86_64`), and `uname -m` on the host.
 * electron/packager's targets.ts is the model: one table owns what a target is.
 */
import type { Machine } from '../abi-gate/index.js';

export type TargetArch = 'x64' | 'arm64';

export const TARGET_ARCHES: readonly TargetArch[] = ['x64', 'arm64'];

interface ArchInfo {
  /** abi-gate's name for the ELF e_machine of binaries for this arch. */
  machine: Machine;
  /** `uname -m` on a Linux host of this arch. */
  uname: string;
}

const ARCHES: Readonly<Record<TargetArch, ArchInfo>> = {
  x64: { machine: 'x86_64', uname: 'x86_64' },
  arm64: { machine: 'aarch64', uname: 'aarch64' },
};

export function isTargetArch(value: string): value is TargetArch {
  return Object.hasOwn(ARCHES, value);
}

/** The ELF machine every binary of a release for `arch` must have. */
export function machineOf(arch: TargetArch): Machine {
  return ARCHES[arch].machine;
}

/** The arch whose binaries have ELF machine `machine`, or null for one no release targets. */
export function archOfMachine(machine: Machine | string | null | undefined): TargetArch | null {
  return TARGET_ARCHES.find((arch) => ARCHES[arch].machine === machine) ?? null;
}

/** The arch of a Linux host from its `uname -m` (arm64 on some kernels spells it `arm64`). */
export function archOfUname(uname: string): TargetArch | null {
  const value = uname.trim();
  if (value === 'arm64') return 'arm64';
  return TARGET_ARCHES.find((arch) => ARCHES[arch].uname === value) ?? null;
}
