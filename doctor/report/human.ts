import { cxxfilt, demangleText, mangledTokens, visible, type Demangled, type Demangler } from '../../abi-gate/index.js';
import type { CheckResult, TarballReport, VerifyReport } from '../report-types.js';

export interface HumanOptions {
  /** Print the detail lines of passing and skipped checks too, not only of failures. */
  verbose?: boolean;
  /** Makes C++ culprits in messages readable; default: the c++filt on PATH, one call per report. */
  demangler?: Demangler;
}

const MARK = { pass: '✓', fail: '✗', skip: '–' } as const;

export function checkMark(check: CheckResult): string {
  if (check.ok === null) return MARK.skip;
  return check.ok ? MARK.pass : MARK.fail;
}

/** Details can be long (thousands of `._*` entries): show a head and say how many were left. */
const MAX_DETAIL_LINES = 20;

function renderTarball(tarball: TarballReport, options: HumanOptions, names: Demangled): string[] {
  const show = (text: string): string => visible(demangleText(text, names));
  const lines = [visible(tarball.file)];
  if (tarball.error !== undefined) lines.push(`  ${MARK.fail} ${visible(tarball.error)}`);
  const width = Math.max(0, ...tarball.checks.map((c) => c.id.length));
  for (const check of tarball.checks) {
    lines.push(`  ${checkMark(check)} ${check.id.padEnd(width)}  ${show(check.message)}`);
    const details = check.details ?? [];
    if (details.length > 0 && (check.ok === false || options.verbose === true)) {
      for (const detail of details.slice(0, MAX_DETAIL_LINES)) lines.push(`      ${show(detail)}`);
      if (details.length > MAX_DETAIL_LINES) {
        lines.push(`      ... and ${details.length - MAX_DETAIL_LINES} more (--json lists all)`);
      }
    }
  }
  lines.push(`  ${summarise(tarball)}`);
  return lines;
}

export function summarise(tarball: TarballReport): string {
  const failed = tarball.checks.filter((c) => c.ok === false).length;
  const passed = tarball.checks.filter((c) => c.ok === true).length;
  const skipped = tarball.checks.filter((c) => c.ok === null).length;
  const verdict = tarball.error !== undefined ? 'UNREADABLE' : tarball.ok ? 'PASS' : 'FAIL';
  return `${verdict}: ${passed} passed, ${failed} failed, ${skipped} skipped`;
}

export function renderHuman(report: VerifyReport, options: HumanOptions = {}): string {
  const texts = report.tarballs.flatMap((t) => t.checks.flatMap((c) => [c.message, ...(c.details ?? [])]));
  const names = (options.demangler ?? cxxfilt()).demangle(mangledTokens(texts));
  const blocks = report.tarballs.map((t) => renderTarball(t, options, names).join('\n'));
  const bad = report.tarballs.filter((t) => !t.ok).length;
  const total = report.tarballs.length;
  const tail =
    total > 1 ? [bad === 0 ? `all ${total} tarballs passed` : `${bad} of ${total} tarballs failed`] : [];
  return [...blocks, ...tail].join('\n\n') + '\n';
}
