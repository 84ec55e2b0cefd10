import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { printCliError, type CliIo } from './cli-error.js';
import { ToolError } from './errors.js';
import type { ScanEntry, ScanReport } from './types.js';

/**
 * The abi-gate command line: parses with yargs, prints, and returns the exit code. Everything it
 * runs is imported lazily, so `abi-gate scan x.node` loads no tar, zlib or ajv code.
 */

type Command =
  | { command: 'scan'; paths: string[]; json: boolean }
  | { command: 'check'; paths: string[]; json: boolean; policy: string; allowEmpty: boolean };

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let command: Command | null;
  try {
    command = await parse(argv, io);
  } catch (error) {
    return printCliError('abi-gate', error, io);
  }
  if (command === null) return 0;
  try {
    return command.command === 'scan' ? await scan(command, io) : await check(command, io);
  } catch (error) {
    return printCliError('abi-gate', error, io);
  }
}

async function parse(argv: readonly string[], io: CliIo): Promise<Command | null> {
  let printed = false;
  const parsed = await new Promise<Record<string, unknown>>((resolve, reject) => {
    yargs()
      .scriptName('abi-gate')
      .usage('$0 <command> [options]\n\nWhat glibc, libstdc++ and host libraries native binaries need, and whether a host policy allows it.')
      .command('scan <paths..>', 'report every ELF, Mach-O and PE file in files, folders and .tar.gz/.tgz', (y) =>
        y.positional('paths', { type: 'string', array: true, describe: 'files, folders or tarballs' }),
      )
      .command('check <paths..>', 'exit 1 when any binary needs more than the policy allows', (y) =>
        y
          .positional('paths', { type: 'string', array: true, describe: 'files, folders or tarballs' })
          .option('policy', { type: 'string', demandOption: true, describe: 'centos7 | manylinux_2_17 | manylinux2014 | manylinux_2_28 | a policy .json file' })
          .option('allow-empty', { type: 'boolean', default: false, describe: 'pass when no binary is found (default: nothing to check fails)' }),
      )
      .option('json', { type: 'boolean', default: false, describe: 'print the machine-readable report' })
      .example('$0 scan dist/server.tar.gz', 'table of all binaries in the tarball')
      .example('$0 check out/ --policy centos7', 'gate a build folder for CentOS 7 hosts')
      .epilogue('Exit codes: 0 ok, 1 a check failed, 2 usage error or unreadable input. DEBUG=remote-ai:abi-gate:* for diagnostics.')
      .demandCommand(1, 'name a command: scan or check')
      .strict()
      .help()
      .alias('h', 'help')
      .version(packageVersion())
      .wrap(null)
      .parse([...argv], {}, (error: Error | undefined, args: Record<string, unknown>, output: string) => {
        if (error) {
          reject(new ToolError('USAGE', error.message, { hint: 'see abi-gate --help' }));
          return;
        }
        if (output !== '') {
          io.stdout(`${output}\n`);
          printed = true;
        }
        resolve(args);
      });
  });
  if (printed) return null;
  const [name] = (parsed._ as unknown[] | undefined) ?? [];
  const paths = parsed.paths;
  if (!Array.isArray(paths) || !paths.every((p): p is string => typeof p === 'string')) {
    throw new ToolError('USAGE', 'expected one or more paths', { hint: 'see abi-gate --help' });
  }
  const json = parsed.json === true;
  if (name === 'scan') return { command: 'scan', paths, json };
  if (name === 'check' && typeof parsed.policy === 'string' && parsed.policy !== '') {
    return { command: 'check', paths, json, policy: parsed.policy, allowEmpty: parsed['allow-empty'] === true };
  }
  throw new ToolError('USAGE', 'check needs --policy <name|file.json>', { hint: 'see abi-gate --help' });
}

async function scan(command: { paths: string[]; json: boolean }, io: CliIo): Promise<number> {
  const report = await runScan(command.paths);
  if (command.json) {
    io.stdout(`${JSON.stringify({ files: report.files, summary: report.summary }, null, 2)}\n`);
  } else {
    const { formatScanTable } = await import('./report-human.js');
    io.stdout(formatScanTable(report));
  }
  return report.files.some(isUnreadable) ? 2 : 0;
}

async function check(command: { paths: string[]; json: boolean; policy: string; allowEmpty: boolean }, io: CliIo): Promise<number> {
  const { loadPolicy } = await import('./policy.js');
  const policy = loadPolicy(command.policy);
  const report = await runScan(command.paths);
  const { checkFiles } = await import('./check.js');
  const result = checkFiles(report.files, policy, report.tree, { allowEmpty: command.allowEmpty });
  if (command.json) {
    io.stdout(`${JSON.stringify({ ...result, files: report.files, summary: report.summary }, null, 2)}\n`);
  } else {
    const { formatCheck } = await import('./report-human.js');
    io.stdout(formatCheck(result, report.files.length));
  }
  if (report.files.some(isUnreadable)) return 2;
  return result.ok ? 0 : 1;
}

async function runScan(paths: string[]): Promise<ScanReport> {
  const { scanPaths } = await import('./scan.js');
  return scanPaths(paths);
}

function isUnreadable(entry: ScanEntry): boolean {
  return 'error' in entry && typeof entry.error === 'string';
}

function packageVersion(): string {
  // cli.ts runs from abi-gate/ (tests) and dist/abi-gate/ (the bin): the root package.json is above.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 3; i++) {
    dir = dirname(dir);
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: one level up
    }
  }
  return 'unknown';
}

/** The bin's entry: runs main on this process and sets its exit code. */
export async function run(): Promise<void> {
  const code = await main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
  });
  process.exitCode = code;
}
