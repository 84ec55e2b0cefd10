/**
 * What doctor reports. `--json` prints VerifyReport as is: CI scripts read these keys, so extend
 * them, never rename them.
 */
export type StaticCheckId =
  | 'integrity'
  | 'format'
  | 'manifest'
  | 'layout'
  | 'appledouble'
  | 'paths'
  | 'platform'
  | 'glibc'
  | 'node-abi'
  | 'requirements'
  | 'limits';
export type BootCheckId = 'boot' | 'native-load' | 'prediction';
/** `doctor ssh` adds these to the boot ids (which it reuses for the same questions on a real host). */
export type SshCheckId = 'host' | 'requirements' | 'install' | 'tunnel';
export type CheckId = StaticCheckId | BootCheckId | SshCheckId;

export interface CheckResult {
  id: CheckId;
  /** true pass, false fail, null skipped. */
  ok: boolean | null;
  /** One line: what passed, or what failed and how to fix it. */
  message: string;
  /** Further lines (each violation, each offending entry), shown indented and in JUnit. */
  details?: string[];
}

export interface TarballReport {
  file: string;
  /** false when any check failed (skips do not fail). */
  ok: boolean;
  checks: CheckResult[];
  /** Set when the tarball could not be read at all (exit 2). */
  error?: string;
}

export interface VerifyReport {
  ok: boolean;
  tarballs: TarballReport[];
}
