/**
 * The Docker side of the doctor CLI: `doctor boot`, `doctor gc` and the `--boot` part of
 * `doctor verify`. Kept apart from cli.ts so that file stays about the static gate; cli.ts
 * registers these builders and prints what they return.
 */
import type { Argv } from 'yargs';
import { ToolError } from '../abi-gate/index.js';
// Type-only: the Docker code (dockerode and its protobuf/grpc tree, ~0.3 s of start-up) loads
// when a boot or gc runs, not for every `doctor verify`.
import type { BootOptions, BootResult } from './boot/boot.js';
import type { ReportArgs, withReportOptions } from './cli.js';
import { register, type Register } from './cli-command.js';
import type { TarballReport, VerifyReport } from './report-types.js';

export interface BootArgs {
  image: string | undefined;
  timeoutMs: number;
  serverArgs: string[] | undefined;
}

/** The options `doctor boot` and `doctor verify --boot` share. */
export function withBootOptions<T>(argv: Argv<T>) {
  return argv
    .option('image', { type: 'string', describe: 'boot in this image instead of the CentOS 7 one built from docker/centos7' })
    .option('boot-timeout', { type: 'number', default: 60, describe: 'seconds the server may take to print its listening line' })
    .option('server-arg', { type: 'string', array: true, describe: 'replace the server arguments (default: --host 127.0.0.1 --port 0 --without-connection-token --accept-server-license-terms)' });
}

/** The boot options as yargs hands them over; values are checked, not trusted (a flag given twice is an array). */
export interface RawBootArgs {
  image?: unknown;
  'boot-timeout'?: unknown;
  'server-arg'?: unknown;
}

/** Checks the raw yargs values once. */
export function bootArgs(args: RawBootArgs): BootArgs {
  const timeout = args['boot-timeout'];
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw new ToolError('USAGE', `--boot-timeout ${String(timeout)}: must be a positive number of seconds`, { exitCode: 2 });
  }
  const image = args['image'];
  if (image !== undefined && (typeof image !== 'string' || image === '')) {
    throw new ToolError('USAGE', '--image needs an image reference', { exitCode: 2 });
  }
  const serverArgs = args['server-arg'];
  return {
    image: typeof image === 'string' ? image : undefined,
    timeoutMs: timeout * 1000,
    serverArgs: Array.isArray(serverArgs) ? serverArgs.map(String) : undefined,
  };
}

function timingLine(result: BootResult): string {
  const s = (ms: number): string => (ms / 1000).toFixed(2);
  const t = result.timings;
  const phases = Object.entries(t.phases).map(([name, ms]) => `${name} ${s(ms)}`).join(', ');
  return `timings: ${s(t.totalMs)} s in all: image and scan ${s(t.prepareMs)} s, server start-up ${s(t.serverStartMs)} s, boot overhead ${s(t.overheadMs)} s (image ${result.image}, run ${result.runId}); phases, overlapping: ${phases}`;
}

/**
 * Boots each tarball in turn (containers are heavy; the engine runs them side by side badly on
 * small CI machines) and returns one report entry per tarball with the boot checks.
 */
export async function bootReports(tarballs: readonly string[], args: BootArgs): Promise<TarballReport[]> {
  const { connectEngine } = await import('./boot/engine.js');
  const { bootTarball } = await import('./boot/boot.js');
  const docker = await connectEngine();
  const reports: TarballReport[] = [];
  for (const file of tarballs) {
    const options: BootOptions = { docker, startTimeoutMs: args.timeoutMs };
    if (args.image !== undefined) options.image = args.image;
    if (args.serverArgs !== undefined) options.serverArgs = args.serverArgs;
    try {
      const result = await bootTarball(file, options);
      const checks = result.checks.map((c) => (c.id === 'boot' ? { ...c, details: [...(c.details ?? []), timingLine(result)] } : c));
      reports.push({ file, ok: checks.every((c) => c.ok !== false), checks });
    } catch (error) {
      // The engine or the image failing is the user's setup (exit 2 from the CLI); a tarball
      // the container cannot install is this tarball's failure.
      if (error instanceof ToolError && error.exitCode === 2) throw error;
      const message = error instanceof Error ? error.message : String(error);
      reports.push({ file, ok: false, checks: [{ id: 'boot', ok: false, message }] });
    }
  }
  return reports;
}

/** Adds the boot checks to a static report, tarball by tarball (unreadable ones are not booted). */
export async function addBootChecks(report: VerifyReport, args: BootArgs): Promise<VerifyReport> {
  const readable = report.tarballs.filter((t) => t.error === undefined).map((t) => t.file);
  const booted = new Map((await bootReports(readable, args)).map((r) => [r.file, r]));
  const tarballs = report.tarballs.map((t) => {
    const extra = booted.get(t.file);
    if (extra === undefined) return t;
    const checks = [...t.checks, ...extra.checks];
    return { ...t, checks, ok: checks.every((c) => c.ok !== false) };
  });
  return { ok: tarballs.every((t) => t.ok), tarballs };
}

type Exit = (code: 0 | 1 | 2) => void;
type Emit = (report: VerifyReport, args: ReportArgs, title: string) => Promise<0 | 1 | 2>;

/** `withReportOptions` is handed in by cli.ts, which imports this file. */
export function bootCommand(emit: Emit, withReport: typeof withReportOptions, exit: Exit): Register {
  return register({
    command: 'boot <tarball..>',
    describe: 'install each tarball in a container as the IDE does, start the server, load every native file (CentOS 7 by default)',
    builder: (argv) =>
      withBootOptions(withReport(argv)).positional('tarball', { type: 'string', array: true, demandOption: true }),
    handler: async (args) => {
      const reports = await bootReports(args.tarball.map(String), bootArgs(args));
      const report = { ok: reports.every((r) => r.ok), tarballs: reports };
      exit(await emit(report, { json: args.json, junit: typeof args.junit === 'string' ? args.junit : undefined }, 'doctor boot'));
    },
  });
}

export function gcCommand(write: (text: string) => void, exit: Exit): Register {
  return register({
    command: 'gc',
    describe: 'remove containers that crashed or killed boots left behind (found by label)',
    builder: (argv) => argv.option('run', { type: 'string', describe: 'only the containers of this run id' }),
    handler: async (args) => {
      const { gc } = await import('./gc.js');
      const result = await gc(typeof args.run === 'string' ? { runId: args.run } : {});
      for (const r of result.removed) write(`removed ${r.id.slice(0, 12)} (${r.state}, run ${r.runId ?? 'unknown'})\n`);
      for (const f of result.failed) write(`could not remove ${f.id.slice(0, 12)}: ${f.error}\n`);
      write(`${result.removed.length} removed, ${result.failed.length} failed\n`);
      exit(result.failed.length === 0 ? 0 : 1);
    },
  });
}
