import { isScanned } from './check.js';
import type { Culprit, PolicyCheckResult, ScanReport } from './types.js';

/** Human output of abi-gate: the table of a scan and the verdict of a check. */

const FAMILIES = ['GLIBC', 'GLIBCXX', 'CXXABI'] as const;

export function formatScanTable(report: Pick<ScanReport, 'files' | 'summary'>): string {
  const header = ['PATH', 'FORMAT', 'MACHINE', 'LIBC', ...FAMILIES, 'CULPRITS'];
  const rows: string[][] = [];
  const errors: string[] = [];
  for (const entry of report.files) {
    if (!isScanned(entry)) {
      errors.push(`${entry.path}: ${entry.error}`);
      continue;
    }
    rows.push([
      entry.path,
      entry.format,
      entry.machine,
      entry.libc,
      ...FAMILIES.map((f) => entry.requires[f] ?? '-'),
      culpritSummary(entry.culprits),
    ]);
  }
  const lines: string[] = [];
  if (rows.length > 0) lines.push(...table([header, ...rows]));
  for (const error of errors) lines.push(`unreadable: ${error}`);
  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}

export function summaryLine(report: Pick<ScanReport, 'files' | 'summary'>): string {
  const readable = report.files.filter(isScanned).length;
  const unreadable = report.files.length - readable;
  const main = ['GLIBC', 'GLIBCXX', 'CXXABI', 'GCC'];
  const entries = Object.entries(report.summary.requires);
  const maxima = entries.filter(([family]) => main.includes(family)).map(([family, version]) => `${family} ${version}`);
  const others = entries.length - maxima.length;
  if (others > 0) maxima.push(`${others} other famil${others === 1 ? 'y' : 'ies'} (see --json)`);
  return (
    `${readable} binar${readable === 1 ? 'y' : 'ies'}` +
    (unreadable > 0 ? `, ${unreadable} unreadable` : '') +
    (maxima.length > 0 ? `; needs at most ${maxima.join(', ')}` : '; no versioned requirements')
  );
}

export function formatCheck(result: PolicyCheckResult, fileCount: number): string {
  const lines = [
    ...result.violations.map((v) => v.message),
    ...result.warnings.map((w) => `warning: ${w.message}`),
  ];
  const files = new Set(result.violations.filter((v) => v.kind !== 'empty').map((v) => v.path)).size;
  lines.push(
    result.ok
      ? `${result.policy}: ok, ${fileCount} binar${fileCount === 1 ? 'y' : 'ies'} checked`
      : `${result.policy}: FAILED, ${result.violations.length} violation${result.violations.length === 1 ? '' : 's'} in ${files} of ${fileCount} binaries`,
  );
  return `${lines.join('\n')}\n`;
}

/** The symbols behind the highest versions, shortest first: `fcntl64@GLIBC_2.28, +2`. */
function culpritSummary(culprits: readonly Culprit[]): string {
  if (culprits.length === 0) return '-';
  const names = culprits.map((c) => `${c.symbol ?? '(version entry)'}@${c.version}`);
  return names.length > 2 ? `${names.slice(0, 2).join(', ')}, +${names.length - 2}` : names.join(', ');
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}
