import type { Machine } from '../../abi-gate/types.js';
import type { TargetArch } from '../../packager/manifest-types.js';

export const MACHINE_OF: Record<TargetArch, Machine> = { x64: 'x86_64', arm64: 'aarch64' };

/** `<name>-<40 hex>-linux-<arch>.tar.gz`, the packager's file name. */
const FILE_NAME = /^(?<name>.+)-(?<commit>[0-9a-f]{40})-linux-(?<arch>x64|arm64)\.(?:tar\.gz|tgz)$/;

export interface FileNameParts {
  name: string | null;
  commit: string | null;
  arch: TargetArch | null;
}

export function parseTarballName(base: string): FileNameParts {
  const match = FILE_NAME.exec(base);
  if (match?.groups !== undefined) {
    return { name: match.groups.name ?? null, commit: match.groups.commit ?? null, arch: (match.groups.arch as TargetArch | undefined) ?? null };
  }
  const commit = /(?:^|[^0-9a-f])([0-9a-f]{40})(?:[^0-9a-f]|$)/.exec(base)?.[1] ?? null;
  const arch = /-linux-(x64|arm64)\b/.exec(base)?.[1] as TargetArch | undefined;
  return { name: null, commit, arch: arch ?? null };
}
