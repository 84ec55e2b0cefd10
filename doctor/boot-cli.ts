/**
 * What `doctor boot` and `doctor verify --boot` share (commands/boot.ts, commands/verify.ts):
 * the boot options, checked once, and the boot checks as report entries. Prints nothing.
 */
import type { Argv } from 'yargs';
import { ToolError } from '../abi-gate/index.js';
// Type-only: the Docker code (dockerode and its protobuf/grpc tree, ~0.3 s of start-up) loads
// when a boot or gc runs, not for every `doctor verify`.
import type { BootOptions, BootResult } from './boot/boot.js';
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
export async function bootReports(tarballs: readonly string[], args: BootArgs, signal?: AbortSignal): Promise<TarballReport[]> {
  const { connectEngine } = await import('./boot/engine.js');
  const { bootTarball } = await import('./boot/boot.js');
  const docker = await connectEngine();
  const reports: TarballReport[] = [];
  for (const file of tarballs) {
    // The CLI's SIGINT/SIGTERM: no new boot starts once it fired.
    signal?.throwIfAborted();
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
export async function addBootChecks(report: VerifyReport, args: BootArgs, signal?: AbortSignal): Promise<VerifyReport> {
  const readable = report.tarballs.filter((t) => t.error === undefined).map((t) => t.file);
  const booted = new Map((await bootReports(readable, args, signal)).map((r) => [r.file, r]));
  const tarballs = report.tarballs.map((t) => {
    const extra = booted.get(t.file);
    if (extra === undefined) return t;
    const checks = [...t.checks, ...extra.checks];
    return { ...t, checks, ok: checks.every((c) => c.ok !== false) };
  });
  return { ok: tarballs.every((t) => t.ok), tarballs };
}
