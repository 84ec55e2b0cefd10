import { xmlAttribute, xmlText } from '../../abi-gate/index.js';
import type { CheckResult, TarballReport, VerifyReport } from '../report-types.js';
import { writeFileAtomic } from './atomic-write.js';

function testcase(suite: string, check: CheckResult): string {
  const open = `    <testcase classname="${xmlAttribute(suite)}" name="${xmlAttribute(check.id)}"`;
  const body = [check.message, ...(check.details ?? [])];
  if (check.ok === true) return `${open}/>`;
  if (check.ok === null) return `${open}>\n      <skipped message="${xmlAttribute(check.message)}"/>\n    </testcase>`;
  return (
    `${open}>\n      <failure message="${xmlAttribute(check.message)}" type="${xmlAttribute(check.id)}">` +
    `${xmlText(body)}</failure>\n    </testcase>`
  );
}

function testsuite(tarball: TarballReport): string {
  const failures = tarball.checks.filter((c) => c.ok === false).length;
  const skipped = tarball.checks.filter((c) => c.ok === null).length;
  const errors = tarball.error === undefined ? 0 : 1;
  const tests = tarball.checks.length + errors;
  const cases = tarball.checks.map((c) => testcase(tarball.file, c));
  if (tarball.error !== undefined) {
    cases.unshift(
      `    <testcase classname="${xmlAttribute(tarball.file)}" name="read">\n` +
        `      <error message="${xmlAttribute(tarball.error)}" type="unreadable"/>\n    </testcase>`,
    );
  }
  return (
    `  <testsuite name="${xmlAttribute(tarball.file)}" tests="${tests}" failures="${failures}" ` +
    `errors="${errors}" skipped="${skipped}">\n${cases.join('\n')}\n  </testsuite>`
  );
}

/** JUnit XML: one testsuite per tarball, one testcase per check. */
export function renderJunit(report: VerifyReport, name = 'doctor verify'): string {
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const t of report.tarballs) {
    tests += t.checks.length + (t.error === undefined ? 0 : 1);
    failures += t.checks.filter((c) => c.ok === false).length;
    skipped += t.checks.filter((c) => c.ok === null).length;
    errors += t.error === undefined ? 0 : 1;
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="${xmlAttribute(name)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n` +
    report.tarballs.map(testsuite).join('\n') +
    `\n</testsuites>\n`
  );
}

export async function writeJunit(report: VerifyReport, file: string, name?: string): Promise<void> {
  await writeFileAtomic(file, renderJunit(report, name));
}
