import { compareKernel } from './elf/abi-tag.js';
import { resolveNeeded } from './resolve-library.js';
import { compareVersions, effectiveVersion, splitVersion } from './requirements.js';
import { isLocating } from './scan-tree.js';
import type { Culprit, Policy, PolicyArch, PolicyCheckResult, ScanEntry, ScannedFile, TreeIndex, VersionNeed, Violation } from './types.js';

/**
 * Judges scanned files against a policy, the way the host's loader would judge them:
 * - every vernaux entry counts (glibc elf/dl-version.c), not only those a symbol uses; weak ones
 *   only warn;
 * - a version is allowed when it is in the policy's set for its family on the file's machine
 *   (auditwheel's rule). A family the policy does not list is not judged by version: its library
 *   is then not a host library, and the library rule below decides (auditwheel does the same);
 * - GLIBC_PRIVATE is never allowed;
 * - a NEEDED library must be on the policy's list or ship inside the tree where the loader will
 *   look (RUNPATH, else RPATH, with $ORIGIN). Versions needed from a shipped library are checked
 *   against that library's own version definitions when it was scanned, not against the policy;
 * - a musl build under a glibc policy, a Mach-O/PE file or a machine the policy does not cover
 *   cannot load at all; a file that could not be read cannot be cleared.
 */
export function checkFiles(entries: readonly ScanEntry[], policy: Policy, tree: TreeIndex): PolicyCheckResult {
  const byPath = new Map<string, ScannedFile>();
  for (const entry of entries) if (isScanned(entry)) byPath.set(entry.path, entry);
  const violations: Violation[] = [];
  const warnings: Violation[] = [];
  for (const entry of entries) {
    if (!isScanned(entry)) {
      violations.push({ path: entry.path, kind: 'unreadable', message: `${entry.path}: cannot be checked: ${entry.error}`, culprits: [] });
      continue;
    }
    checkFile(entry, policy, tree, byPath, violations, warnings);
  }
  return { ok: violations.length === 0, policy: policy.name, violations, warnings };
}

export function isScanned(entry: ScanEntry): entry is ScannedFile {
  return !('error' in entry && typeof entry.error === 'string');
}

function checkFile(
  file: ScannedFile,
  policy: Policy,
  tree: TreeIndex,
  byPath: ReadonlyMap<string, ScannedFile>,
  violations: Violation[],
  warnings: Violation[],
): void {
  const path = file.path;
  if (file.format !== 'elf') {
    violations.push({
      path,
      kind: 'platform',
      message: `${path}: a ${file.format === 'macho' ? 'Mach-O (macOS)' : 'PE (Windows)'} ${file.machine} binary, ${policy.name} hosts load only Linux ELF files`,
      culprits: [],
    });
    return;
  }
  const arch = policy.arches[file.machine];
  if (arch === undefined) {
    violations.push({
      path,
      kind: 'platform',
      message: `${path}: built for ${file.machine}, ${policy.name} covers ${Object.keys(policy.arches).join(', ')}`,
      culprits: [],
    });
    return;
  }
  if (!policy.libc.includes(file.libc)) {
    const how = file.interpreter ?? file.needed.find((n) => n.startsWith('libc.musl')) ?? file.libc;
    violations.push({
      path,
      kind: 'libc',
      message: `${path}: linked against ${file.libc} (${how}), ${policy.name} hosts run ${policy.libc.filter((l) => l === 'glibc' || l === 'musl').join('/')}`,
      culprits: [],
    });
    return;
  }

  // The NT_GNU_ABI_TAG floor: below it the loader refuses the file ("ELF file OS ABI invalid").
  if (policy.kernel !== undefined && file.minKernel != null && compareKernel(file.minKernel, policy.kernel) > 0) {
    violations.push({
      path,
      kind: 'kernel',
      required: file.minKernel,
      allowed: policy.kernel,
      message: `${path}: needs Linux kernel ${file.minKernel} (its NT_GNU_ABI_TAG note), ${policy.name} hosts run ${policy.kernel}`,
      culprits: [],
    });
  }

  const location = isLocating(tree) ? tree.locate(path) : null;
  const shipped = new Map<string, ScannedFile | null>();
  for (const needed of file.needed) {
    const inTree = location === null
      ? resolveNeeded(path, file, needed, tree)
      : resolveNeeded(location.path, file, needed, location.index);
    if (inTree !== null) {
      shipped.set(needed, byPath.get(location === null ? inTree : location.toReport(inTree)) ?? null);
      continue;
    }
    if (policy.libraryWhitelist.includes(needed)) continue;
    const where = file.runpath.length > 0 ? `RUNPATH ${file.runpath.join(':')}` : file.rpath.length > 0 ? `RPATH ${file.rpath.join(':')}` : 'no RUNPATH';
    violations.push({
      path,
      kind: 'library',
      library: needed,
      message: `${path}: needs ${needed}, which ${policy.name} hosts do not provide and the tree does not ship (${where})`,
      culprits: [],
    });
  }

  const bad = new Map<string, VersionNeed[]>();
  const weakBad = new Map<string, VersionNeed[]>();
  for (const need of file.versionNeeds) {
    const verdict = judge(need, arch, shipped);
    if (verdict === 'ok') continue;
    if (verdict === 'private') {
      (need.weak ? warnings : violations).push({
        path,
        kind: 'private',
        family: 'GLIBC',
        required: need.version,
        library: need.library,
        message: `${path}: needs ${need.version} from ${need.library}, internal to one glibc build; no policy allows it (${culpritText(file, [need], need.weak)})${need.weak ? ' [weak entry: only a warning]' : ''}`,
        culprits: culpritsOf(file, [need]),
      });
      continue;
    }
    const family = splitVersion(need.version).family;
    const target = need.weak ? weakBad : bad;
    target.set(family, [...(target.get(family) ?? []), need]);
  }
  for (const [map, out, weak] of [[bad, violations, false], [weakBad, warnings, true]] as const) {
    for (const [family, needs] of map) out.push(versionViolation(file, policy, arch, family, needs, shipped, weak));
  }
}

type Verdict = 'ok' | 'private' | 'version';

function judge(need: VersionNeed, arch: PolicyArch, shipped: ReadonlyMap<string, ScannedFile | null>): Verdict {
  if (shipped.has(need.library)) {
    const lib = shipped.get(need.library);
    // A shipped library that was not scanned (a symlink, a file outside the scan) is trusted. One
    // with no version definitions at all passes too: the loader only warns "no version
    // information available" then (glibc elf/dl-version.c, match_symbol), as predict.ts assumes.
    if (lib === null || lib === undefined || lib.versionDefs.length === 0) return 'ok';
    return lib.versionDefs.includes(need.version) ? 'ok' : 'version';
  }
  if (need.version === 'GLIBC_PRIVATE') return 'private';
  const { family, version } = splitVersion(need.version);
  const allowed = arch.allowed[family];
  if (allowed === undefined) return 'ok';
  return allowed.includes(version) ? 'ok' : 'version';
}

function versionViolation(
  file: ScannedFile,
  policy: Policy,
  arch: PolicyArch,
  family: string,
  needs: VersionNeed[],
  shipped: ReadonlyMap<string, ScannedFile | null>,
  weak: boolean,
): Violation {
  const ranked = [...needs].sort((a, b) => compareVersions(rank(a), rank(b)));
  const top = ranked[ranked.length - 1] ?? needs[0]!;
  const shown = ranked.filter((n) => rank(n) === rank(top));
  const required = rank(top);
  const label = splitVersion(top.version).version === required
    ? `${family} ${required}`
    : effectiveVersion(top.version) === null ? top.version : `${top.version} (${family} ${required})`;
  const shippedLib = shipped.get(top.library);
  const limit = shippedLib !== undefined && shippedLib !== null
    ? `the shipped ${top.library} does not define it`
    : arch.max[family] === undefined
      ? `${policy.name} allows no ${family} version on ${file.machine}`
      : `${policy.name} allows at most ${arch.max[family]}`;
  const violation: Violation = {
    path: file.path,
    kind: 'version',
    family,
    required,
    library: top.library,
    message: `${file.path}: needs ${label}, ${limit} (${culpritText(file, shown, weak)})${weak ? ' [weak entry: only a warning]' : ''}`,
    culprits: culpritsOf(file, shown),
  };
  if (arch.max[family] !== undefined) violation.allowed = arch.max[family];
  return violation;
}

/** A need's place in its family's order: ABI markers count as the release that added them. */
function rank(need: VersionNeed): string {
  return effectiveVersion(need.version)?.version ?? splitVersion(need.version).version;
}

function culpritsOf(file: ScannedFile, needs: readonly VersionNeed[]): Culprit[] {
  const found = file.culprits.filter((c) => needs.some((n) => n.version === c.version && n.library === c.library));
  return found.length > 0 ? found : needs.map((n) => ({ symbol: null, version: n.version, library: n.library }));
}

function culpritText(file: ScannedFile, needs: readonly VersionNeed[], weak = false): string {
  const all = culpritsOf(file, needs);
  // The scanner names culprit symbols for non-weak entries only: a weak entry is named alone.
  const bare = weak ? '' : ', a version entry no symbol uses';
  const shown = all.slice(0, 5).map((c) =>
    c.symbol === null ? `${c.version} from ${c.library}${bare}` : `${c.symbol}@${c.version} from ${c.library}`,
  );
  return all.length > 5 ? `${shown.join(', ')}, +${all.length - 5} more` : shown.join(', ');
}
