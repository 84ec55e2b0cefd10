/**
 * What one streaming pass learns about a tarball. Checks are pure functions over these facts, so
 * each can be tested on its own and the pass stays the one place that reads bytes.
 */
import type { BinaryFormat, Policy, ScanEntry } from '../abi-gate/index.js';
import type { EntryKind, FormatViolation, ManifestLoad, TargetArch } from '../release/index.js';

export type { EntryKind, ManifestLoad };

export interface EntryFact {
  /** Path as stored in the archive (a pax `path` record wins), unmodified. */
  path: string;
  kind: EntryKind;
  /** Permission bits including setuid/setgid/sticky. */
  mode: number;
  size: number;
  linkpath: string | null;
  /** sha256 of the content of a regular file read to its end; null otherwise. */
  sha256: string | null;
  /** Keys of the pax records in this entry's extended header (raw, unknown keys included). */
  paxKeys: string[];
  /** Native format sniffed from the first bytes, null for anything else. */
  format: BinaryFormat | null;
}

export interface Limits {
  /** Decompressed bytes of the whole tar stream. */
  maxTotal: number;
  /** Bytes of one entry, as its header declares. */
  maxEntry: number;
  maxEntries: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxTotal: 4 * 1024 ** 3,
  maxEntry: 1024 ** 3,
  // A Code-OSS server with its node_modules has a few tens of thousands of entries.
  maxEntries: 200_000,
};

export interface LimitBreach {
  kind: 'total' | 'entry' | 'entries';
  limit: number;
  /** The value that crossed it (bytes or entries). */
  value: number;
  /** Entry being read when the pass stopped. */
  entry: string | null;
  /** True when the breach was seen in an entry header, before its body was inflated. */
  declared?: boolean;
  /** The reader's own words when it stopped the stream itself (e.g. a decompression ratio). */
  message?: string;
}

export type Integrity =
  | { ok: true }
  | { ok: false; reason: 'not-gzip' | 'truncated' | 'trailing-data' | 'corrupt' | 'tar'; message: string };

export interface TarballFacts {
  file: string;
  /** Bytes of the tarball read from disk, and their sha256 when the whole file was read. */
  compressedSize: number;
  compressedSha256: string | null;
  decompressedBytes: number;
  integrity: Integrity;
  /** True when the tar stream reached its end and every entry was read. */
  complete: boolean;
  stopped: LimitBreach | null;
  entries: EntryFact[];
  /** Keys of global (`g`) pax headers. */
  globalPaxKeys: string[];
  /** abi-gate scans of every native binary, keyed by archive path. */
  binaries: Map<string, ScanEntry>;
  /** Text of `<top>/product.json`, when present and small. */
  productJson: string | null;
  /** Version read from the bytes of `<top>/node` (e.g. `20.18.2`), null when absent or unknown. */
  nodeVersion: string | null;
  /** Where the archive leaves the canonical release format (release/format.ts), as read. */
  format: { top: string | null; violations: FormatViolation[]; count: number };
}

export interface VerifyOptions {
  /** Explicit manifest; default the sidecar `<tarball minus .tar.gz>.manifest.json`. */
  manifest?: string;
  /** Policy name or JSON file; 'none' turns the glibc check off. Default centos7. */
  policy?: string;
  limits?: Partial<Limits>;
  /** Tarballs verified at once. */
  concurrency?: number;
  /** Let the glibc check pass a release without any ELF file (default: "nothing to check" fails). */
  allowEmpty?: boolean;
}

export interface CheckContext {
  facts: TarballFacts;
  manifest: ManifestLoad;
  policy: Policy | null;
  policyName: string;
  limits: Limits;
  arch: TargetArch;
  /** Where the arch came from, for messages. */
  archSource: string;
  /** `bin/<name>` launcher name when known (manifest or file name). */
  launcherName: string | null;
  /** NODE_MODULE_VERSION of the bundled node's version, null when the version is unknown. */
  nodeModuleVersion: number | null;
  /** `--allow-empty`: the glibc check passes a release without ELF files. */
  allowEmpty?: boolean;
}
