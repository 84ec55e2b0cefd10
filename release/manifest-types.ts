/**
 * The release manifest that packager writes beside each tarball and doctor verifies.
 * Published as `release/manifest.schema.json`. Keys are a contract: extend, never rename.
 */
import type { Culprit } from '../abi-gate/index.js';
import type { TargetArch } from './arch.js';
import type { HostRequirements } from './host-check/requirements.js';

export interface ManifestFile {
  /** Relative to the tarball's top-level folder, '/'-separated, e.g. `bin/remote-ai-server`. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Bytes of content; 0 for directories and symlinks. */
  size: number;
  /** sha256 of the content (hex); null for directories and symlinks. */
  sha256: string | null;
  /** Octal permission bits as a string, e.g. "0755". */
  mode: string;
  /** Symlink target, only for symlinks. */
  linkTarget?: string;
}

/** A culprit of one family's maximum, with the file that carries it. */
export interface ManifestCulprit extends Culprit {
  path: string;
}

/** The version families whose maxima the manifest's `abi` records. */
export type AbiFamily = 'GLIBC' | 'GLIBCXX' | 'CXXABI';
export type AbiKey = 'minGlibc' | 'minGlibcxx' | 'minCxxabi';

/** Each family, the `abi` key that holds its maximum, and how a message names it. */
export const ABI_FAMILIES: readonly { family: AbiFamily; key: AbiKey; label: string }[] = [
  { family: 'GLIBC', key: 'minGlibc', label: 'min glibc' },
  { family: 'GLIBCXX', key: 'minGlibcxx', label: 'min GLIBCXX' },
  { family: 'CXXABI', key: 'minCxxabi', label: 'min CXXABI' },
];

export const ABI_FAMILY_NAMES: readonly AbiFamily[] = ABI_FAMILIES.map((f) => f.family);

export interface Manifest {
  schemaVersion: 1;
  name: string;
  commit: string;
  /** product.json `version` when present. */
  version: string | null;
  target: { os: 'linux'; arch: TargetArch };
  tarball: { file: string; sha256: string; size: number };
  node: {
    version: string;
    moduleVersion: number;
    sha256: string;
    /** Where it came from: a path, a tarball or a mirror URL. */
    source: string;
    flavor: 'official' | 'glibc-217' | 'local';
  };
  abi: {
    minGlibc: string | null;
    minGlibcxx: string | null;
    minCxxabi: string | null;
    /** The highest NT_GNU_ABI_TAG kernel floor of the binaries (`3.2.0`); absent in manifests older than it. */
    minKernel?: string | null;
    /** Policy name (or file path) the release was gated on, 'none' when the gate was off. */
    policy: string;
    /** Per family (GLIBC, GLIBCXX, CXXABI) the symbols that force its maximum, with their file. */
    culprits: Record<string, ManifestCulprit[]>;
  };
  files: ManifestFile[];
  /**
   * What the release asks of the host, from which `bin/helpers/check-requirements.sh` is generated
   * (release/host-check); absent in manifests older than it.
   */
  hostRequirements?: HostRequirements;
  createdBy: { tool: 'packager'; version: string };
  sourceDateEpoch: number;
}
