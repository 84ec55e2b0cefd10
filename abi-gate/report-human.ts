import { isScanned } from './check.js';
import { cxxfilt, demangleText, mangledTokens, readable, type Demangled, type Demangler } from './demangle.js';
import { shortenMiddle, visible } from './escape/terminal.js';
import { fixHints, hintLines, type FixHint } from './hints.js';
import type { Culprit, PolicyCheckResult, ScanReport } from './types.js';

/**
 * Human output of abi-gate: the table of a scan and the verdict of a check. Every string from an
 * input goes through `visible` (terminal.ts); C++ culprits are demangled with one c++filt call per
 * render; the table fits `width` columns (120 by default), cutting long paths in the middle
 * (`--json` has them whole).
 */

export interface HumanOptions {
  /** Default: the c++filt on PATH. */
  demangler?: Demangler;
  /** Columns the table may use. */
  width?: number;
}

export const DEFAULT_WIDTH = 120;
const FAMILIES = ['GLIBC', 'GLIBCXX', 'CXXABI'] as const;
/** Families named in the summary line first, in this order; others follow by name. */
const MAIN_FAMILIES = ['GLIBC', 'GLIBCXX', 'CXXABI', 'GCC'];
const GAP = '  ';
const MIN_PATH = 24;
const MIN_CULPRITS = 24;

function demangleAll(culprits: Iterable<Culprit>, options: HumanOptions): Demangled {
  const names: string[] = [];
  for (const c of culprits) if (c.symbol !== null) names.push(c.symbol);
  return (options.demangler ?? cxxfilt()).demangle(names);
}

export function formatScanTable(report: Pick<ScanReport, 'files' | 'summary'>, options: HumanOptions = {}): string {
  const scanned = report.files.filter(isScanned);
  const names = demangleAll(scanned.flatMap((f) => f.culprits), options);
  const header = ['PATH', 'FORMAT', 'MACHINE', 'LIBC', ...FAMILIES, 'CULPRITS'];
  const rows: string[][] = [];
  const errors: string[] = [];
  const refused: string[] = [];
  for (const entry of report.files) {
    if (!isScanned(entry)) {
      errors.push(`${visible(entry.path)}: ${visible(entry.error)}`);
      continue;
    }
    // A file glibc's loader refuses: its row must not read as a harmless static binary.
    for (const r of entry.refusals ?? []) refused.push(`${visible(entry.path)}: ${visible(r.message)}`);
    rows.push([
      visible(entry.path),
      entry.format,
      entry.machine,
      entry.libc,
      ...FAMILIES.map((f) => visible(entry.requires[f] ?? '-')),
      culpritSummary(entry.culprits, names),
    ]);
  }
  const lines: string[] = [];
  if (rows.length > 0) lines.push(...table([header, ...rows], options.width ?? DEFAULT_WIDTH));
  for (const error of errors) lines.push(`unreadable: ${error}`);
  for (const line of refused) lines.push(`refused by the loader: ${line}`);
  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}

/** `3 binaries; needs at most GLIBC 2.28, GLIBCXX 3.4.25, GCC 4.2.0, ZLIB 1.2.9`: every family named. */
export function summaryLine(report: Pick<ScanReport, 'files' | 'summary'>): string {
  const readableCount = report.files.filter(isScanned).length;
  const unreadable = report.files.length - readableCount;
  const families = Object.keys(report.summary.requires).sort((a, b) => {
    const ia = MAIN_FAMILIES.indexOf(a);
    const ib = MAIN_FAMILIES.indexOf(b);
    if (ia !== ib) return (ia < 0 ? MAIN_FAMILIES.length : ia) - (ib < 0 ? MAIN_FAMILIES.length : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const maxima = families.map((family) => visible(`${family} ${report.summary.requires[family] ?? ''}`));
  return (
    `${readableCount} binar${readableCount === 1 ? 'y' : 'ies'}` +
    (unreadable > 0 ? `, ${unreadable} unreadable` : '') +
    (maxima.length > 0 ? `; needs at most ${maxima.join(', ')}` : '; no versioned requirements')
  );
}

/** The hints for a check's violations (and warnings), for human lines and `--json`. */
export function checkHints(result: PolicyCheckResult): FixHint[] {
  return fixHints([...result.violations, ...result.warnings].flatMap((v) => v.culprits));
}

export function formatCheck(result: PolicyCheckResult, fileCount: number, options: HumanOptions = {}): string {
  const all = [...result.violations, ...result.warnings];
  const symbols = all.flatMap((v) => v.culprits.flatMap((c) => (c.symbol === null ? [] : [c.symbol])));
  const names = (options.demangler ?? cxxfilt()).demangle([...symbols, ...mangledTokens(all.map((v) => v.message))]);
  const show = (text: string): string => visible(demangleText(text, names));
  const lines = [
    ...result.violations.map((v) => show(v.message)),
    ...result.warnings.map((w) => `warning: ${show(w.message)}`),
    ...hintLines(checkHints(result), (culprit) => show(culprit)),
  ];
  const files = new Set(result.violations.filter((v) => v.kind !== 'empty').map((v) => v.path)).size;
  lines.push(
    result.ok
      ? `${visible(result.policy)}: ok, ${fileCount} binar${fileCount === 1 ? 'y' : 'ies'} checked`
      : `${visible(result.policy)}: FAILED, ${result.violations.length} violation${result.violations.length === 1 ? '' : 's'} in ${files} of ${fileCount} binaries`,
  );
  return `${lines.join('\n')}\n`;
}

/** The symbols behind the highest versions: `std::mutex::lock()@GLIBCXX_3.4.30, fcntl64@GLIBC_2.28, +2`. */
function culpritSummary(culprits: readonly Culprit[], names: Demangled): string {
  if (culprits.length === 0) return '-';
  const shown = culprits.map((c) => visible(`${c.symbol === null ? '(version entry)' : readable(c.symbol, names)}@${c.version}`));
  return shown.length > 2 ? `${shown.slice(0, 2).join(', ')}, +${shown.length - 2}` : shown.join(', ');
}

/**
 * Columns padded to their widest cell; when the whole exceeds `width`, the last column (culprits)
 * gives up room first, then the first (path), each down to a floor, both cut with `…`.
 */
function table(rows: string[][], width: number): string[] {
  const columns = rows[0]!.length;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP.length * (columns - 1);
  const last = columns - 1;
  let excess = total() - width;
  if (excess > 0) {
    const give = Math.min(excess, Math.max(0, widths[last]! - MIN_CULPRITS));
    widths[last]! -= give;
    excess -= give;
  }
  if (excess > 0) {
    const give = Math.min(excess, Math.max(0, widths[0]! - MIN_PATH));
    widths[0]! -= give;
    excess -= give;
  }
  return rows.map((r) =>
    r
      .map((cell, i) => {
        const fitted = i === 0 ? shortenMiddle(cell, widths[0]!) : i === last ? cutEnd(cell, widths[last]!) : cell;
        return i === last ? fitted : fitted.padEnd(widths[i]! + fitted.length - [...fitted].length);
      })
      .join(GAP)
      .trimEnd(),
  );
}

function cutEnd(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}
