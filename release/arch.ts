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
  /** `uname -m` on a Linux host of this arch: every spelling kernels and tools use, the usual first. */
  uname: readonly [string, ...string[]];
}

// arm64 kernels on some distributions (and macOS-style tools) say `arm64`, and `amd64` is the
// Debian/BSD name some shims print: the host check and doctor ssh accept both spellings.
const ARCHES: Readonly<Record<TargetArch, ArchInfo>> = {
  x64: { machine: 'x86_64', uname: ['x86_64', 'amd64'] },
  arm64: { machine: 'aarch64', uname: ['aarch64', 'arm64'] },
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

/** The arch of a Linux host from its `uname -m`, in any of its spellings. */
export function archOfUname(uname: string): TargetArch | null {
  const value = uname.trim();
  return TARGET_ARCHES.find((arch) => ARCHES[arch].uname.includes(value)) ?? null;
}

/** Every `uname -m` spelling of a host of `arch`, the usual one first. */
export function unameSpellingsOf(arch: TargetArch): readonly string[] {
  return ARCHES[arch].uname;
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
