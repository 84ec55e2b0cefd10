import { appendFile } from 'node:fs/promises';
import { ToolError } from '../../abi-gate/index.js';
import type { VerifyReport } from '../report-types.js';
import { checkMark, summarise } from './human.js';

/** Workflow-command data: `%`, CR and LF are escaped (actions/toolkit core/src/command.ts). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Property values additionally escape `:` and `,`, which delimit properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One `::error` line per failed check and per unreadable tarball. */
export function renderAnnotations(report: VerifyReport): string[] {
  const lines: string[] = [];
  for (const tarball of report.tarballs) {
    if (tarball.error !== undefined) {
      lines.push(`::error file=${escapeProperty(tarball.file)},title=${escapeProperty('doctor: unreadable')}::${escapeData(tarball.error)}`);
    }
    for (const check of tarball.checks) {
      if (check.ok !== false) continue;
      const message = [check.message, ...(check.details ?? []).slice(0, 50)].join('\n');
      lines.push(
        `::error file=${escapeProperty(tarball.file)},title=${escapeProperty(`doctor ${check.id}`)}::${escapeData(message)}`,
      );
    }
  }
  return lines;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** The markdown table appended to `$GITHUB_STEP_SUMMARY`. */
export function renderStepSummary(report: VerifyReport, title = 'doctor verify'): string {
  const bad = report.tarballs.filter((t) => !t.ok).length;
  const head = bad === 0 ? `✓ all ${report.tarballs.length} passed` : `✗ ${bad} of ${report.tarballs.length} failed`;
  const rows = ['| tarball | check | result | message |', '|---|---|---|---|'];
  for (const tarball of report.tarballs) {
    if (tarball.error !== undefined) rows.push(`| ${cell(tarball.file)} | read | ✗ | ${cell(tarball.error)} |`);
    for (const check of tarball.checks) {
      rows.push(`| ${cell(tarball.file)} | ${check.id} | ${checkMark(check)} | ${cell(check.message)} |`);
    }
  }
  const summaries = report.tarballs.map((t) => `- \`${cell(t.file)}\`: ${summarise(t)}`);
  return [`### ${title}: ${head}`, '', ...summaries, '', ...rows, ''].join('\n') + '\n';
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
