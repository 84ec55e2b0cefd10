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

/** The three places a release states its arch; null where one says nothing. */
export interface TargetClaims {
  /** From the tarball's file name (`-linux-<arch>`). */
  fileName: TargetArch | null;
  /** The manifest's `target.arch`. */
  manifest: TargetArch | null;
  /** The ELF machine of the bundled `node`. */
  nodeMachine: Machine | null;
}

/**
 * null when every stated arch agrees; else one line naming all three, so a release whose name,
 * manifest and node disagree is refused whichever of them was tampered with.
 */
export function targetDisagreement(claims: TargetClaims): string | null {
  const nodeArch = claims.nodeMachine === null ? null : archOfMachine(claims.nodeMachine);
  const stated = [claims.fileName, claims.manifest, claims.nodeMachine === null ? null : (nodeArch ?? claims.nodeMachine)];
  const known = new Set(stated.filter((arch) => arch !== null));
  if (known.size <= 1) return null;
  const name = claims.fileName === null ? 'the file name names no arch' : `the file name says ${claims.fileName}`;
  const manifest = claims.manifest === null ? 'there is no manifest arch' : `the manifest says ${claims.manifest}`;
  const node =
    claims.nodeMachine === null
      ? 'node is no ELF'
      : `node is an ELF for ${claims.nodeMachine}${nodeArch === null ? ', no release arch' : ` (${nodeArch})`}`;
  return `target arch disagrees: ${name}, ${manifest}, ${node}`;
}
