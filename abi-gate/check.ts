import { checkNeeded, checkSearchPath, checkShippedGlibc, type Placement } from './check-libraries.js';
import { checkVersions } from './check-versions.js';
import { compareKernel } from './elf/abi-tag.js';
import { compareVersions } from './requirements.js';
import { isLocating } from './scan-tree.js';
import type { Policy, PolicyArch, PolicyCheckResult, ScanEntry, ScannedFile, TreeIndex, Violation } from './types.js';

/**
 * Judges scanned files against a policy, the way the host's loader would judge them. Per file,
 * in order (the first three end the file's check: nothing else about it matters then):
 * - a Mach-O/PE file or a machine the policy does not cover cannot load at all;
 * - a file glibc's loader refuses (elf/dl-load.c: see elf/loadability.ts) is refused with its
 *   reason, whatever its tables say;
 * - a musl build under a glibc policy cannot load;
 * - the kernel floor of its NT_GNU_ABI_TAG note must not exceed the policy's kernel;
 * - glibc's own libraries must not ship (check-libraries.ts), RUNPATH/RPATH must stay inside the
 *   release, every NEEDED library must be on the host or in the tree;
 * - every version entry must be defined by what satisfies it (check-versions.ts).
 * A file that could not be read cannot be cleared, and a check of nothing fails unless the
 * caller allows it: an empty gate that passes hides a broken scan or a wrong path.
 */

export interface CheckOptions {
  /** Pass when there is no binary at all (default: that is a violation, "nothing to check"). */
  allowEmpty?: boolean;
  /**
   * The paths (of files and of a plain TreeIndex) are archive paths that start with the
   * release's one top folder (doctor): an $ORIGIN entry that leaves it warns.
   */
  archive?: boolean;
}

export function checkFiles(entries: readonly ScanEntry[], policy: Policy, tree: TreeIndex, options: CheckOptions = {}): PolicyCheckResult {
  const byPath = new Map<string, ScannedFile>();
  for (const entry of entries) if (isScanned(entry)) byPath.set(entry.path, entry);
  const violations: Violation[] = [];
  const warnings: Violation[] = [];
  if (entries.length === 0 && options.allowEmpty !== true) {
    violations.push({ path: '', kind: 'empty', message: 'nothing to check: no ELF, Mach-O or PE binary was found (allow it with --allow-empty)', culprits: [] });
  }
  for (const entry of entries) {
    if (!isScanned(entry)) {
      violations.push({ path: entry.path, kind: 'unreadable', message: `${entry.path}: cannot be checked: ${entry.error}`, culprits: [] });
      continue;
    }
    const arch = loadable(entry, policy, violations);
    if (arch === null) continue;
    const place = placement(entry, tree, options);
    checkKernel(entry, policy, violations);
    checkShippedGlibc(entry, violations);
    checkSearchPath(entry, place, violations, warnings);
    const shipped = checkNeeded(entry, policy, place, byPath, violations);
    checkVersions(entry, policy, arch, shipped, violations, warnings);
  }
  return { ok: violations.length === 0, policy: policy.name, violations, warnings };
}

export function isScanned(entry: ScanEntry): entry is ScannedFile {
  return !('error' in entry && typeof entry.error === 'string');
}

/** The gates before any table is read: the policy's arch for the file, or null after a violation. */
function loadable(file: ScannedFile, policy: Policy, violations: Violation[]): PolicyArch | null {
  const path = file.path;
  const refuse = (kind: Violation['kind'], message: string): null => {
    violations.push({ path, kind, message: `${path}: ${message}`, culprits: [] });
    return null;
  };
  if (file.format !== 'elf') {
    return refuse('platform', `a ${file.format === 'macho' ? 'Mach-O (macOS)' : 'PE (Windows)'} ${file.machine} binary, ${policy.name} hosts load only Linux ELF files`);
  }
  const arch = policy.arches[file.machine];
  if (arch === undefined) return refuse('platform', `built for ${file.machine}, ${policy.name} covers ${Object.keys(policy.arches).join(', ')}`);
  const glibc = arch.max.GLIBC;
  const refusals = (file.refusals ?? []).filter(
    (r) => r.since === undefined || glibc === undefined || compareVersions(glibc, r.since) < 0,
  );
  if (refusals.length > 0) {
    const older = (since: string | undefined) => (since === undefined ? '' : ` (${policy.name} allows glibc ${glibc ?? '?'})`);
    return refuse('loader', `glibc's loader refuses it: ${refusals.map((r) => `${r.message}${older(r.since)}`).join('; ')}`);
  }
  if (!policy.libc.includes(file.libc)) {
    const how = file.interpreter ?? file.needed.find((n) => n.startsWith('libc.musl')) ?? file.libc;
    return refuse('libc', `linked against ${file.libc} (${how}), ${policy.name} hosts run ${policy.libc.filter((l) => l === 'glibc' || l === 'musl').join('/')}`);
  }
  return arch;
}

/** The NT_GNU_ABI_TAG floor: below it the loader refuses the file ("ELF file OS ABI invalid"). */
function checkKernel(file: ScannedFile, policy: Policy, violations: Violation[]): void {
  if (policy.kernel === undefined || file.minKernel == null || compareKernel(file.minKernel, policy.kernel) <= 0) return;
  violations.push({
    path: file.path,
    kind: 'kernel',
    required: file.minKernel,
    allowed: policy.kernel,
    message: `${file.path}: needs Linux kernel ${file.minKernel} (its NT_GNU_ABI_TAG note), ${policy.name} hosts run ${policy.kernel}`,
    culprits: [],
  });
}

/** Where the file sits in the tree its NEEDED libraries are looked up in. */
function placement(file: ScannedFile, tree: TreeIndex, options: CheckOptions): Placement {
  const location = isLocating(tree) ? tree.locate(file.path) : null;
  if (location === null) return { path: file.path, index: tree, toReport: (p) => p, archive: options.archive === true };
  // abi-gate's own scan names a tarball's entries `<tarball>:<entry>`: such a root holds one
  // release, whose paths start with its top folder.
  return { path: location.path, index: location.index, toReport: location.toReport, archive: options.archive === true || location.toReport('').endsWith(':') };
}
