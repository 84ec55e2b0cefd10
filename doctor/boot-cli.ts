/**
 * What `doctor boot` and `doctor verify --boot` share (commands/boot.ts, commands/verify.ts):
 * the boot options, checked once, and the boot checks as report entries. Prints nothing.
 */
import { stat } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { ToolError } from '../abi-gate/index.js';
// Type-only: the Docker code (dockerode and its protobuf/grpc tree, ~0.3 s of start-up) loads
// when a boot or gc runs, not for every `doctor verify`.
import type { BootOptions } from './boot/boot.js';
import { checkImageRef } from './boot/image-ref.js';
import type { VerifyBootResult } from './boot/verify-boot.js';
import type { TarballReport, VerifyReport } from './report-types.js';
import type { VerifyOptions } from './verify-types.js';

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
  if (typeof image === 'string') checkImageRef(image);
  const serverArgs = args['server-arg'];
  return {
    image: typeof image === 'string' ? image : undefined,
    timeoutMs: timeout * 1000,
    serverArgs: Array.isArray(serverArgs) ? serverArgs.map(String) : undefined,
  };
}

function bootOptions(args: BootArgs, signal: AbortSignal | undefined): BootOptions {
  const options: BootOptions = { startTimeoutMs: args.timeoutMs };
  if (args.image !== undefined) options.image = args.image;
  if (args.serverArgs !== undefined) options.serverArgs = args.serverArgs;
  if (signal !== undefined) options.signal = signal;
  return options;
}

/** Every tarball must be a readable file before any engine is asked (one line naming the file). */
async function checkTarballs(tarballs: readonly string[]): Promise<void> {
  for (const file of tarballs) {
    const info = await stat(file).catch((error: NodeJS.ErrnoException) => error);
    if (info instanceof Error) {
      throw new ToolError('USAGE', `${file}: ${info.code === 'ENOENT' ? 'no such file' : `cannot read it (${info.code ?? info.message})`}`, {
        hint: 'name a release tarball (.tar.gz) that exists',
        exitCode: 2,
      });
    }
    if (!info.isFile()) throw new ToolError('USAGE', `${file}: not a regular file`, { hint: 'name a release tarball (.tar.gz)', exitCode: 2 });
  }
}

/**
 * Boots each tarball in turn (containers are heavy; the engine runs them side by side badly on
 * small CI machines) and returns one report entry per tarball with the boot checks.
 */
export async function bootReports(tarballs: readonly string[], args: BootArgs, signal?: AbortSignal): Promise<TarballReport[]> {
  await checkTarballs(tarballs);
  const { connectClient } = await import('./boot/engine.js');
  const { bootTarball } = await import('./boot/boot.js');
  const { bootChecks, bootFailure } = await import('./boot/verify-boot.js');
  const client = await connectClient();
  const reports: TarballReport[] = [];
  for (const file of tarballs) {
    // The CLI's SIGINT/SIGTERM: no new boot starts once it fired.
    signal?.throwIfAborted();
    const checks = await bootTarball(file, { ...bootOptions(args, signal), client }).then(bootChecks, (error: unknown) => [bootFailure(error)]);
    reports.push({ file, ok: checks.every((c) => c.ok !== false), checks });
  }
  return reports;
}

/**
 * `verify --boot`: the static checks and the boot from one read of each tarball. When the engine
 * or the image cannot be had, the report still holds the static checks and `setupError` says why.
 */
export async function verifyWithBoot(tarballs: readonly string[], options: VerifyOptions, args: BootArgs, signal?: AbortSignal): Promise<VerifyBootResult> {
  const { verifyAndBoot } = await import('./boot/verify-boot.js');
  return verifyAndBoot(tarballs, options, bootOptions(args, signal));
}

/** Adds the boot checks to a report verify made before (the demo's two steps); unreadable tarballs are not booted. */
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
