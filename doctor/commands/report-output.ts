/**
 * Output shared by every doctor command that produces a VerifyReport (verify, boot): the human
 * or `--json` report, `--junit`, and GitHub annotations and step summary under Actions.
 */
import type { Argv } from 'yargs';
import type { CliIo } from '../../abi-gate/index.js';
import { emitGithub, renderHuman, renderJson, writeJunit } from '../report/index.js';
import type { VerifyReport } from '../report-types.js';
import { exitCodeOf } from '../verify.js';

export interface ReportArgs {
  json: boolean;
  junit: string | undefined;
}

/** The options every report-producing command shares. */
export function withReportOptions<T>(argv: Argv<T>) {
  return argv
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON (a contract CI reads)' })
    .option('junit', { type: 'string', describe: 'also write a JUnit XML report to this file' });
}

/** The report options as yargs hands them over, checked once. */
export function reportArgs(args: { json?: unknown; junit?: unknown }): ReportArgs {
  return { json: args.json === true, junit: typeof args.junit === 'string' ? args.junit : undefined };
}

/** Prints a report in the requested form, writes JUnit and GitHub output; returns the exit code. */
export async function emitReport(report: VerifyReport, args: ReportArgs, io: CliIo, title = 'doctor verify'): Promise<0 | 1 | 2> {
  io.stdout(args.json ? renderJson(report) : renderHuman(report));
  if (args.junit !== undefined) await writeJunit(report, args.junit, title);
  if (io.env.GITHUB_ACTIONS === 'true') {
    await emitGithub(report, { write: io.stdout, summaryFile: io.env.GITHUB_STEP_SUMMARY }, title);
  }
  return exitCodeOf(report);
}
