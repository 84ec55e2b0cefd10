import { appendFile } from 'node:fs/promises';
import { markdownText, ToolError, workflowMessage, workflowProperty } from '../../abi-gate/index.js';
import type { VerifyReport } from '../report-types.js';
import { checkMark, summarise } from './human.js';

/** Annotations carry the message and at most this many detail lines (the log has them all). */
const MAX_ANNOTATION_DETAILS = 50;

/** One `::error` line per failed check and per unreadable tarball. */
export function renderAnnotations(report: VerifyReport): string[] {
  const lines: string[] = [];
  for (const tarball of report.tarballs) {
    const file = workflowProperty(tarball.file);
    if (tarball.error !== undefined) {
      lines.push(`::error file=${file},title=${workflowProperty('doctor: unreadable')}::${workflowMessage([tarball.error])}`);
    }
    for (const check of tarball.checks) {
      if (check.ok !== false) continue;
      const message = workflowMessage([check.message, ...(check.details ?? []).slice(0, MAX_ANNOTATION_DETAILS)]);
      lines.push(`::error file=${file},title=${workflowProperty(`doctor ${check.id}`)}::${message}`);
    }
  }
  return lines;
}

/** The markdown table appended to `$GITHUB_STEP_SUMMARY`. */
export function renderStepSummary(report: VerifyReport, title = 'doctor verify'): string {
  const bad = report.tarballs.filter((t) => !t.ok).length;
  const head = bad === 0 ? `✓ all ${report.tarballs.length} passed` : `✗ ${bad} of ${report.tarballs.length} failed`;
  const rows = ['| tarball | check | result | message |', '|---|---|---|---|'];
  for (const tarball of report.tarballs) {
    const file = markdownText(tarball.file);
    if (tarball.error !== undefined) rows.push(`| ${file} | read | ✗ | ${markdownText(tarball.error)} |`);
    for (const check of tarball.checks) {
      rows.push(`| ${file} | ${check.id} | ${checkMark(check)} | ${markdownText(check.message)} |`);
    }
  }
  const summaries = report.tarballs.map((t) => `- ${markdownText(t.file)}: ${summarise(t)}`);
  return [`### ${markdownText(title)}: ${head}`, '', ...summaries, '', ...rows, ''].join('\n') + '\n';
}

export interface GithubOutput {
  /** Receives each annotation line (the CLI passes stdout). */
  write(line: string): void;
  /** `$GITHUB_STEP_SUMMARY`; nothing is appended when undefined. */
  summaryFile: string | undefined;
}

export async function emitGithub(report: VerifyReport, output: GithubOutput, title?: string): Promise<void> {
  for (const line of renderAnnotations(report)) output.write(line + '\n');
  if (output.summaryFile === undefined || output.summaryFile === '') return;
  try {
    await appendFile(output.summaryFile, renderStepSummary(report, title));
  } catch (error) {
    throw new ToolError('STEP_SUMMARY', `cannot append to GITHUB_STEP_SUMMARY ${output.summaryFile}: ${(error as Error).message}`, {
      exitCode: 2,
      cause: error,
    });
  }
}
