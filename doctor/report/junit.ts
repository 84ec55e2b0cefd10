import type { CheckResult, TarballReport, VerifyReport } from '../report-types.js';
import { writeFileAtomic } from './atomic-write.js';

/**
 * XML 1.0 forbids most control characters even when escaped; entry names of hostile tarballs
 * carry them, so they are replaced by a visible `\xNN` rather than making the file unparsable.
 */
export function escapeXml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    // Attribute values are normalised (a raw newline reads back as a space); references survive.
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

function testcase(suite: string, check: CheckResult): string {
  const open = `    <testcase classname="${escapeXml(suite)}" name="${escapeXml(check.id)}"`;
  const body = [check.message, ...(check.details ?? [])].join('\n');
  if (check.ok === true) return `${open}/>`;
  if (check.ok === null) return `${open}>\n      <skipped message="${escapeXml(check.message)}"/>\n    </testcase>`;
  return (
    `${open}>\n      <failure message="${escapeXml(check.message)}" type="${escapeXml(check.id)}">` +
    `${escapeXml(body)}</failure>\n    </testcase>`
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
      `    <testcase classname="${escapeXml(tarball.file)}" name="read">\n` +
        `      <error message="${escapeXml(tarball.error)}" type="unreadable"/>\n    </testcase>`,
    );
  }
  return (
    `  <testsuite name="${escapeXml(tarball.file)}" tests="${tests}" failures="${failures}" ` +
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
    `<testsuites name="${escapeXml(name)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}">\n` +
    report.tarballs.map(testsuite).join('\n') +
    `\n</testsuites>\n`
  );
}

export async function writeJunit(report: VerifyReport, file: string, name?: string): Promise<void> {
  await writeFileAtomic(file, renderJunit(report, name));
}
