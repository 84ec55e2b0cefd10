/**
 * The abi-gate command line: its two commands, declared for the shared CLI shell. Everything they
 * run is imported lazily, so `abi-gate scan x.node` loads no tar, zlib or ajv code.
 */
import type { Argv } from 'yargs';
import type { CliIo } from './cli-error.js';
import { defineCommand, runBin, runTool, type ExitStatus, type ToolSpec } from './cli-shell.js';
import type { ScanEntry, ScanReport } from './types.js';

const withPaths = (y: Argv) =>
  y
    .positional('paths', { type: 'string', array: true, demandOption: true, describe: 'files, folders or tarballs' })
    .option('json', { type: 'boolean', default: false, describe: 'print the machine-readable report' });

const scanCommand = defineCommand({
  command: 'scan <paths..>',
  describe: 'report every ELF, Mach-O and PE file in files, folders and .tar.gz/.tgz',
  missing: 'name at least one file, folder or tarball',
  builder: withPaths,
  examples: [['$0 scan dist/server.tar.gz', 'table of all binaries in the tarball']],
  run: async (args, { io }) => {
    const report = await runScan(args.paths);
    const { cxxfilt, demangleJson } = await import('./demangle.js');
    if (args.json) {
      io.stdout(`${JSON.stringify(demangleJson({ files: report.files, summary: report.summary }, cxxfilt(io.env)), null, 2)}\n`);
    } else {
      const { formatScanTable } = await import('./report-human.js');
      io.stdout(formatScanTable(report, { demangler: cxxfilt(io.env) }));
    }
    return report.files.some(isUnreadable) ? 2 : 0;
  },
});

const checkCommand = defineCommand({
  command: 'check <paths..>',
  describe: 'exit 1 when any binary needs more than the policy allows',
  missing: 'name at least one file, folder or tarball',
  builder: (y) =>
    withPaths(y)
      .option('policy', {
        type: 'string',
        demandOption: true,
        describe: 'centos7 | manylinux_2_17 | manylinux2014 | manylinux_2_28 | a policy .json file',
      })
      .option('allow-empty', { type: 'boolean', default: false, describe: 'pass when no binary is found (default: nothing to check fails)' }),
  examples: [['$0 check out/ --policy centos7', 'gate a build folder for CentOS 7 hosts']],
  run: async (args, { io }): Promise<ExitStatus> => {
    const { loadPolicy } = await import('./policy.js');
    const policy = loadPolicy(args.policy);
    const report = await runScan(args.paths);
    const { checkFiles } = await import('./check.js');
    const result = checkFiles(report.files, policy, report.tree, { allowEmpty: args['allow-empty'] });
    const { cxxfilt, demangleJson } = await import('./demangle.js');
    const { checkHints, formatCheck } = await import('./report-human.js');
    if (args.json) {
      const body = { ...result, hints: checkHints(result), files: report.files, summary: report.summary };
      io.stdout(`${JSON.stringify(demangleJson(body, cxxfilt(io.env)), null, 2)}\n`);
    } else {
      io.stdout(formatCheck(result, report.files.length, { demangler: cxxfilt(io.env) }));
    }
    if (report.files.some(isUnreadable)) return 2;
    return result.ok ? 0 : 1;
  },
});

export const ABI_GATE: ToolSpec = {
  name: 'abi-gate',
  summary: 'What glibc, libstdc++ and host libraries native binaries need, and whether a host policy allows it.',
  commands: [scanCommand, checkCommand],
};

async function runScan(paths: readonly string[]): Promise<ScanReport> {
  const { scanPaths } = await import('./scan.js');
  return scanPaths(paths);
}

function isUnreadable(entry: ScanEntry): boolean {
  return 'error' in entry && typeof entry.error === 'string';
}

/** Runs the CLI and returns its exit code (tests call this; the bin runs `run`). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  return runTool(ABI_GATE, argv, io);
}

/** The bin's entry: runs the CLI on this process. */
export async function run(): Promise<void> {
  await runBin(ABI_GATE);
}
