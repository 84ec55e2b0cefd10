/**
 * `doctor verify --boot` in one read per tarball: the file's bytes go to verify's pass and, as
 * they are read, to the container's tar; verify's facts are the boot's scan. The engine and the
 * image are made ready once. When they cannot be had (no engine, an offline build), the static
 * checks still run and are reported, each tarball's `boot` check names the fix, and the setup
 * error is returned for the CLI's exit code.
 */
import { stat } from 'node:fs/promises';
import { isToolError, type ToolError } from '../../abi-gate/index.js';
import type { CheckResult, TarballReport, VerifyReport } from '../report-types.js';
import { resolveVerifyOptions, verifyTarball, type ResolvedVerifyOptions } from '../verify.js';
import type { TarballFacts, VerifyOptions } from '../verify-types.js';
import { bootTarball, type BootOptions, type BootResult } from './boot.js';
import type { DockerClient } from './docker-client.js';
import { connectClient } from './engine.js';
import { ensureImage } from './image.js';
import { checkImageRef } from './image-ref.js';
import { installScanFromFacts } from './scan.js';
import { TarFeed } from './tar-feed.js';
import { describeTimings, PhaseClock } from './timings.js';

/** What `verify --boot` passes on to each boot (the read, scan and clock are its own). */
export type VerifyBootOptions = Omit<BootOptions, 'scan' | 'source' | 'clock' | 'runId'>;

export interface VerifyBootResult {
  report: VerifyReport;
  /** The engine or image could not be had: the boot checks say so, the CLI exits 2. */
  setupError: ToolError | null;
}

/** The boot's checks, the `boot` check carrying the timings line (`npm run bench` reads it). */
export function bootChecks(result: BootResult): CheckResult[] {
  const line = describeTimings(result.timings, result.image, result.runId);
  return result.checks.map((c) => (c.id === 'boot' ? { ...c, details: [...(c.details ?? []), line] } : c));
}

/** A boot that threw: the engine's or image's failure is the user's setup (rethrown), the rest this tarball's. */
export function bootFailure(error: unknown): CheckResult {
  if (isToolError(error) && error.exitCode === 2) throw error;
  return { id: 'boot', ok: false, message: error instanceof Error ? error.message : String(error) };
}

function merge(report: TarballReport, checks: CheckResult[]): TarballReport {
  const all = [...report.checks, ...checks];
  return { ...report, checks: all, ok: all.every((c) => c.ok !== false) };
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

export async function verifyAndBoot(tarballs: readonly string[], verifyOptions: VerifyOptions, options: VerifyBootOptions = {}): Promise<VerifyBootResult> {
  // Usage errors before anything is read or any engine is asked.
  const resolved = await resolveVerifyOptions(tarballs, verifyOptions);
  if (options.image !== undefined) checkImageRef(options.image);
  let ready: { client: DockerClient; image: string } | null = null;
  let setupError: ToolError | null = null;
  try {
    const client = options.client ?? (await connectClient());
    // Asked once, beside the image check, so each boot knows at once how its install travels.
    client.sharesFiles().catch(() => undefined);
    const image = await ensureImage(client, {
      ...(options.image === undefined ? {} : { image: options.image }),
      ...(options.dockerfileDir === undefined ? {} : { dockerfileDir: options.dockerfileDir }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    ready = { client, image };
  } catch (error) {
    options.signal?.throwIfAborted();
    if (!isToolError(error) || error.exitCode !== 2) throw error;
    setupError = error;
  }
  const reports: TarballReport[] = [];
  // One tarball at a time: containers are heavy, and each boot's read overlaps its own start.
  for (const file of tarballs) {
    if (ready === null || !(await isFile(file))) {
      const report = await verifyTarball(file, resolved);
      const skipped = setupError === null ? [] : [{ id: 'boot' as const, ok: false, message: `not booted: ${setupError.toLine()}` }];
      reports.push(report.error === undefined ? merge(report, skipped) : report);
      continue;
    }
    reports.push(await verifyThenBoot(file, resolved, { ...options, client: ready.client, image: ready.image }));
  }
  return { report: { ok: reports.every((r) => r.ok), tarballs: reports }, setupError };
}

/** One tarball: verify's pass and the boot share the read; the boot's scan is verify's facts. */
async function verifyThenBoot(file: string, resolved: ResolvedVerifyOptions, options: VerifyBootOptions): Promise<TarballReport> {
  const clock = new PhaseClock();
  const feed = new TarFeed();
  let onFacts: (facts: TarballFacts) => void = () => undefined;
  let noFacts: (error: Error) => void = () => undefined;
  const facts = new Promise<TarballFacts>((resolve, reject) => {
    onFacts = resolve;
    noFacts = reject;
  });
  const verifying = clock.time('verify', () =>
    verifyTarball(file, resolved, {
      onTarChunk: feed.onTarChunk,
      onFacts: (f) => {
        // An archive that crossed a limit (a gzip bomb) or broke off is not extracted whole.
        feed.settle(f);
        onFacts(f);
      },
    }),
  );
  // Without facts (the file could not be read) the container's stream fails too.
  verifying.then(
    () => {
      feed.fail(`${file}: verify could not read it`);
      noFacts(new Error(`${file}: verify could not read it`));
    },
    (error: unknown) => {
      feed.fail(String(error));
      noFacts(error instanceof Error ? error : new Error(String(error)));
    },
  );
  const booting = bootTarball(file, {
    ...options,
    clock,
    scan: facts.then(installScanFromFacts),
    source: () => feed.forContainer(),
  })
    .finally(() => feed.abandon())
    .then(bootChecks, (error: unknown) => [bootFailure(error)]);
  booting.catch(() => undefined);
  const report = await verifying;
  if (report.error !== undefined) {
    await booting.catch(() => undefined);
    return report;
  }
  return merge(report, await booting);
}
