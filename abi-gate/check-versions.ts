import { hostFamilies, isGlibcLibrary } from './host-libraries.js';
import { compareVersions, effectiveVersion, splitVersion } from './requirements.js';
import type { Culprit, Policy, PolicyArch, ScannedFile, VersionNeed, Violation } from './types.js';

/**
 * The version rule of the check: every vernaux entry counts (glibc elf/dl-version.c), not only
 * those a symbol uses; weak ones only warn. An entry is judged against what will satisfy it:
 * - a library the tree ships (found through RUNPATH/RPATH): that library's own definitions;
 * - a host library: first the families the real library defines (policies/host-libraries.json:
 *   `FOO_1.0` or `GLIBCXX_3.4` from libc.so.6 fails on every host), then the policy's allowed
 *   set for the family on the file's machine (auditwheel's rule). A family the policy does not
 *   list is not judged by version: its library is then not a host library, and the library rule
 *   decides (auditwheel does the same);
 * - GLIBC_PRIVATE is never allowed.
 */

/** Libraries a file loads from the tree, by NEEDED name: the scan of the copy, or null when it was not scanned. */
export type ShippedLibraries = ReadonlyMap<string, ScannedFile | null>;

type Verdict = { kind: 'ok' } | { kind: 'private' } | { kind: 'version' } | { kind: 'family'; defined: readonly string[] };

export function checkVersions(
  file: ScannedFile,
  policy: Policy,
  arch: PolicyArch,
  shipped: ShippedLibraries,
  violations: Violation[],
  warnings: Violation[],
): void {
  const bad = new Map<string, VersionNeed[]>();
  const weakBad = new Map<string, VersionNeed[]>();
  for (const need of file.versionNeeds) {
    const verdict = judge(need, file, arch, shipped);
    if (verdict.kind === 'ok') continue;
    const out = need.weak ? warnings : violations;
    const weakNote = need.weak ? ' [weak entry: only a warning]' : '';
    if (verdict.kind === 'private') {
      out.push({
        path: file.path,
        kind: 'private',
        family: 'GLIBC',
        required: need.version,
        library: need.library,
        message: `${file.path}: needs ${need.version} from ${need.library}, internal to one glibc build; no policy allows it (${culpritText(file, [need], need.weak)})${weakNote}`,
        culprits: culpritsOf(file, [need]),
      });
      continue;
    }
    if (verdict.kind === 'family') {
      out.push({
        path: file.path,
        kind: 'family',
        family: splitVersion(need.version).family,
        required: need.version,
        library: need.library,
        message: `${file.path}: needs ${need.version} from ${need.library}, a version family no ${need.library} defines (it defines ${verdict.defined.join(', ')}), so no host loads it (${culpritText(file, [need], need.weak)})${weakNote}`,
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

function judge(need: VersionNeed, file: ScannedFile, arch: PolicyArch, shipped: ShippedLibraries): Verdict {
  // glibc's own libraries are never taken from the tree (host-libraries.ts says why).
  if (shipped.has(need.library) && !isGlibcLibrary(need.library)) {
    const lib = shipped.get(need.library);
    // A shipped library that was not scanned (a symlink, a file outside the scan) is trusted. One
    // with no version definitions at all passes too: the loader only warns "no version
    // information available" then (glibc elf/dl-version.c, match_symbol), as predict.ts assumes.
    if (lib === null || lib === undefined || lib.versionDefs.length === 0) return { kind: 'ok' };
    return lib.versionDefs.includes(need.version) ? { kind: 'ok' } : { kind: 'version' };
  }
  if (need.version === 'GLIBC_PRIVATE') return { kind: 'private' };
  const { family, version } = splitVersion(need.version);
  const defined = hostFamilies(need.library, file.machine);
  if (defined !== null && !defined.includes(family)) return { kind: 'family', defined };
  const allowed = arch.allowed[family];
  if (allowed === undefined) return { kind: 'ok' };
  return allowed.includes(version) ? { kind: 'ok' } : { kind: 'version' };
}

function versionViolation(
  file: ScannedFile,
  policy: Policy,
  arch: PolicyArch,
  family: string,
  needs: VersionNeed[],
  shipped: ShippedLibraries,
  weak: boolean,
): Violation {
  const ranked = [...needs].sort((a, b) => compareVersions(rank(a), rank(b)));
  const top = ranked[ranked.length - 1] ?? needs[0]!;
  const shown = ranked.filter((n) => rank(n) === rank(top));
  const required = rank(top);
  const label = splitVersion(top.version).version === required
    ? `${family} ${required}`
    : effectiveVersion(top.version) === null ? top.version : `${top.version} (${family} ${required})`;
  const shippedLib = isGlibcLibrary(top.library) ? undefined : shipped.get(top.library);
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
