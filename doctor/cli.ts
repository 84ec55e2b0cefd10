/**
 * The doctor CLI: parses arguments, prints, and alone decides the exit code. Each command is a
 * small builder in COMMANDS; report output (human, --json, --junit, GitHub) is shared by every
 * command that produces a VerifyReport through `emitReport`.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { printCliError, type CliIo } from '../abi-gate/cli-error.js';
import { ToolError } from '../abi-gate/errors.js';
import { diff, glibcRose } from './diff.js';
import { renderDiffHuman } from './diff-render.js';
import { emitGithub, renderHuman, renderJson, writeJunit } from './report/index.js';
import type { VerifyReport } from './report-types.js';
import { exitCodeOf, verify } from './verify.js';
import { register, type Register } from './cli-command.js';
import { addBootChecks, bootArgs, bootCommand, gcCommand, withBootOptions } from './boot-cli.js';
import type { Limits } from './verify-types.js';
import { sshCommand } from './ssh/command.js';

export type { CliIo } from '../abi-gate/cli-error.js';

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
};

/** `4GiB`, `512M`, `1e9`, `1048576`: binary multiples, since limits are about memory and disk. */
export function parseSize(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (match === null) {
    throw new ToolError('USAGE', `${flag} ${text}: not a size`, { hint: 'use bytes or a unit, e.g. 4GiB, 512M', exitCode: 2 });
  }
  const power = ' kmgt'.indexOf((match[2] ?? '').toLowerCase() || ' ');
  const value = Math.round(Number(match[1]) * 1024 ** power);
  if (!Number.isSafeInteger(value) || value <= 0) throw new ToolError('USAGE', `${flag} ${text}: must be a positive size`, { exitCode: 2 });
  return value;
}

export interface ReportArgs {
  json: boolean;
  junit: string | undefined;
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

/** Options every report-producing command shares (verify, and boot when it is added). */
export function withReportOptions<T>(argv: Argv<T>) {
  return argv
    .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON (a contract CI reads)' })
    .option('junit', { type: 'string', describe: 'also write a JUnit XML report to this file' });
}

type Exit = (code: 0 | 1 | 2) => void;

function verifyCommand(io: CliIo, exit: Exit): Register {
  return register({
    command: 'verify <tarball..>',
    describe: 'static release gate: integrity, manifest, layout, paths, platform, glibc, node ABI, limits',
    builder: (argv) =>
      withBootOptions(withReportOptions(argv))
        .option('boot', { type: 'boolean', default: false, describe: 'also boot each tarball in a container (doctor boot) and add its checks' })
        .positional('tarball', { type: 'string', array: true, demandOption: true, describe: 'release tarballs (.tar.gz)' })
        .option('manifest', { type: 'string', describe: 'manifest to check against (default: <tarball minus .tar.gz>.manifest.json)' })
        .option('policy', { type: 'string', default: 'centos7', describe: "abi-gate policy name or JSON file; 'none' skips the glibc check" })
        .option('max-total', { type: 'string', describe: 'most uncompressed bytes in all (default 4GiB)' })
        .option('max-entry', { type: 'string', describe: 'most bytes in one entry (default 1GiB)' })
        .option('max-entries', { type: 'number', describe: 'most entries (default 200000)' }),
    handler: async (args) => {
      const limits: Partial<Limits> = {};
      if (typeof args['max-total'] === 'string') limits.maxTotal = parseSize(args['max-total'], '--max-total');
      if (typeof args['max-entry'] === 'string') limits.maxEntry = parseSize(args['max-entry'], '--max-entry');
      if (args['max-entries'] !== undefined) {
        const n = args['max-entries'];
        if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
          throw new ToolError('USAGE', `--max-entries ${String(n)}: must be a positive integer`, { exitCode: 2 });
        }
        limits.maxEntries = n;
      }
      const tarballs = args.tarball.map(String);
      const options: Parameters<typeof verify>[1] = { limits, policy: String(args.policy) };
      if (typeof args.manifest === 'string') options.manifest = args.manifest;
      let report = await verify(tarballs, options);
      if (args.boot) report = await addBootChecks(report, bootArgs(args));
      exit(await emitReport(report, { json: args.json, junit: typeof args.junit === 'string' ? args.junit : undefined }, io));
    },
  });
}

function diffCommand(io: CliIo, exit: Exit): Register {
  return register({
    command: 'diff <old> <new>',
    describe: 'what changed between two releases (tarballs or manifests): min glibc/libstdc++ and culprits, node, files',
    builder: (argv) =>
      argv
        .positional('old', { type: 'string', demandOption: true })
        .positional('new', { type: 'string', demandOption: true })
        .option('json', { type: 'boolean', default: false, describe: 'print the diff as JSON' })
        .option('fail-on-glibc-rise', { type: 'boolean', default: false, describe: 'exit 1 when min GLIBC, GLIBCXX or CXXABI rose' }),
    handler: async (args) => {
      const report = await diff(String(args.old), String(args.new));
      io.stdout(args.json ? JSON.stringify(report, null, 2) + '\n' : renderDiffHuman(report));
      exit(args['fail-on-glibc-rise'] && glibcRose(report) ? 1 : 0);
    },
  });
}

/** Commands in help order. */
const COMMANDS: ((io: CliIo, exit: Exit) => Register)[] = [
  verifyCommand,
  diffCommand,
  (io, exit) => bootCommand((report, a, title) => emitReport(report, a, io, title), withReportOptions, exit),
  (io, exit) => gcCommand(io.stdout, exit),
  (io, exit) => sshCommand(io, exit, withReportOptions),
];

/** Runs the CLI and returns its exit code (tests call this; `main` exits with it). */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code: 0 | 1 | 2 = 0;
  const exit: Exit = (c) => {
    code = c;
  };
  let parser = yargs([...argv])
    .scriptName('doctor')
    .usage('$0 <command>\n\nRelease gate for remote-ai-server tarballs. Exit codes: 0 ok, 1 a check failed, 2 usage or unreadable input.');
  for (const command of COMMANDS) parser = command(io, exit)(parser);
  try {
    await parser
      .demandCommand(1, 'name a command: verify, diff, boot, gc, ssh')
      .strict()
      .exitProcess(false)
      .fail((message: string | undefined, error: Error | undefined) => {
        throw error ?? new ToolError('USAGE', message ?? 'usage error', { hint: 'see doctor --help', exitCode: 2 });
      })
      .help()
      .version(false)
      .parseAsync();
  } catch (error) {
    return printCliError('doctor', error, io);
  }
  return code;
}

export async function main(): Promise<void> {
  process.exit(await runCli(hideBin(process.argv)));
}
