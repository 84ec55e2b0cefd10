/**
 * How a release is named: `<name>-<commit>-linux-<arch>` is the tarball's base name, its single
 * top folder and its manifest's base name. packager names with these functions, doctor reads
 * names back with them.
 */
import { isTargetArch, TARGET_ARCHES, type TargetArch } from './arch.js';

/** A release name: a plain file name (`--name`, the manifest's `name`, `bin/<name>`). */
export const RELEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** A commit as the resolver installs it: 40 lowercase hex digits. */
export const COMMIT = /^[0-9a-f]{40}$/;

/** `<name>-<commit>-linux-<arch>`: the tarball's base name and its top folder. */
export function releaseBaseName(name: string, commit: string, arch: TargetArch): string {
  return `${name}-${commit}-linux-${arch}`;
}

export function tarballFileName(name: string, commit: string, arch: TargetArch): string {
  return `${releaseBaseName(name, commit, arch)}.tar.gz`;
}

export function manifestFileName(name: string, commit: string, arch: TargetArch): string {
  return `${releaseBaseName(name, commit, arch)}.manifest.json`;
}

/** `<tarball minus .tar.gz/.tgz>.manifest.json`, the packager's sidecar name. */
export function sidecarManifestPath(tarball: string): string {
  return tarball.replace(/\.(tar\.gz|tgz)$/, '') + '.manifest.json';
}

const ARCH_ALTERNATIVES = TARGET_ARCHES.join('|');
const FILE_NAME = new RegExp(`^(?<name>.+)-(?<commit>[0-9a-f]{40})-linux-(?<arch>${ARCH_ALTERNATIVES})\\.(?:tar\\.gz|tgz)$`);
const LOOSE_COMMIT = /(?:^|[^0-9a-f])([0-9a-f]{40})(?:[^0-9a-f]|$)/;
const LOOSE_ARCH = new RegExp(`-linux-(${ARCH_ALTERNATIVES})\\b`);

export interface FileNameParts {
  name: string | null;
  commit: string | null;
  arch: TargetArch | null;
}

/**
 * The parts of a tarball's file name (its base name): all three for a packager name, else what
 * can still be told (a 40-hex commit, a `-linux-<arch>`), so a renamed release is still judged.
 */
export function parseTarballName(base: string): FileNameParts {
  const match = FILE_NAME.exec(base);
  const groups = match?.groups;
  if (groups !== undefined) {
    const arch = groups.arch ?? '';
    return { name: groups.name ?? null, commit: groups.commit ?? null, arch: isTargetArch(arch) ? arch : null };
  }
  const commit = LOOSE_COMMIT.exec(base)?.[1] ?? null;
  const arch = LOOSE_ARCH.exec(base)?.[1] ?? '';
  return { name: null, commit, arch: isTargetArch(arch) ? arch : null };
}
