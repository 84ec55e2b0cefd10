import { checkFiles, fixHints, hintLines, isScanned, type ScannedFile, type TreeIndex, type Violation } from '../../abi-gate/index.js';
import { dropTopFolder } from '../../release/index.js';
import type { CheckResult } from '../report-types.js';
import type { CheckContext, TarballFacts } from '../verify-types.js';
import { fail, normalizePath, partialVerdict, pass, plural, skip } from './tree.js';

/** Regular files and symlinks by normalised archive path, for NEEDED resolution through RUNPATH. */
export function treeOf(facts: TarballFacts): TreeIndex {
  const paths = new Set<string>();
  for (const entry of facts.entries) {
    if (entry.kind === 'file' || entry.kind === 'symlink' || entry.kind === 'hardlink') paths.add(normalizePath(entry.path));
  }
  return { has: (path) => paths.has(normalizePath(path)) };
}

export function elfFiles(facts: TarballFacts): ScannedFile[] {
  const files: ScannedFile[] = [];
  for (const scan of facts.binaries.values()) if (isScanned(scan) && scan.format === 'elf') files.push(scan);
  return files;
}

export function checkGlibc(ctx: CheckContext): CheckResult {
  const { facts, policy } = ctx;
  if (policy === null) return skip('glibc', 'policy none: the glibc gate is off');
  const files = elfFiles(facts);
  const result = checkFiles(files, policy, treeOf(facts), { allowEmpty: ctx.allowEmpty === true, archive: true });
  const details = result.violations.map((v) => v.message);
  // Fix hints for common culprits (abi-gate/hints.ts) follow the violations they explain.
  if (details.length > 0) details.push(...hintLines(fixHints(result.violations.flatMap((v) => v.culprits))));
  const verdict =
    details.length === 0
      ? pass('glibc', files.length === 0 ? 'no ELF file to check (--allow-empty)' : `${files.length} ELF files satisfy ${policy.name}`, result.warnings.map((w) => `warning: ${w.message}`))
      : result.violations.length === 1 && result.violations[0]?.kind === 'empty'
        ? fail('glibc', 'nothing to check: the release holds no ELF file (pass --allow-empty if that is intended)', details)
        : fail('glibc', `${plural(result.violations.length, 'violation')} of ${policy.name}: ${summarise(result.violations)}`, details);
  return partialVerdict('glibc', facts, verdict);
}

/**
 * One line over all violations, per file (without the top folder) what it needs beyond the
 * policy: `node (GLIBC 2.28 > 2.17, GLIBCXX 3.4.21 > 3.4.19)`. The details carry the culprits.
 */
function summarise(violations: readonly Violation[]): string {
  const byFile = new Map<string, string[]>();
  for (const v of violations) {
    const file = dropTopFolder(v.path) ?? v.path;
    const what = v.family !== undefined && v.required !== undefined ? `${v.family} ${v.required}${v.allowed === undefined ? '' : ` > ${v.allowed}`}` : v.library ?? v.kind;
    byFile.set(file, [...(byFile.get(file) ?? []), what]);
  }
  const files = [...byFile].map(([file, needs]) => `${file} (${needs.join(', ')})`);
  return files.length <= 3 ? files.join('; ') : `${files.slice(0, 3).join('; ')}; +${files.length - 3} more files`;
}
