import { basename } from 'node:path';
import createDebug from 'debug';
import { hasCode, loadPolicy, ToolError, type Policy } from '../abi-gate/index.js';
import {
  archOfMachine,
  dropTopFolder,
  loadManifest,
  nodeModuleVersion,
  parseTarballName,
  sidecarManifestPath,
  type ManifestLoad,
  type TargetArch,
} from '../release/index.js';
import { runChecks } from './checks/index.js';
import type { TarballReport, VerifyReport } from './report-types.js';
import { DEFAULT_LIMITS, type CheckContext, type Limits, type TarballFacts, type VerifyOptions } from './verify-types.js';
import { readTarballFacts } from './verify-stream.js';

const debug = createDebug('remote-ai:doctor:verify');

export interface ResolvedVerifyOptions {
  manifest: string | null;
  policy: Policy | null;
  policyName: string;
  limits: Limits;
  concurrency: number;
  allowEmpty: boolean;
}

/** Checks options once; a bad policy or limit is a usage error (exit 2) before anything is read. */
export async function resolveVerifyOptions(tarballs: readonly string[], options: VerifyOptions = {}): Promise<ResolvedVerifyOptions> {
  if (tarballs.length === 0) throw new ToolError('VERIFY_USAGE', 'doctor verify needs at least one tarball', { exitCode: 2 });
  if (options.manifest !== undefined && tarballs.length > 1) {
    throw new ToolError('VERIFY_USAGE', `--manifest names one manifest but ${tarballs.length} tarballs were given`, {
      hint: 'verify them one at a time, or drop --manifest to use each sidecar',
      exitCode: 2,
    });
  }
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new ToolError('VERIFY_USAGE', `limit ${key} must be a positive integer, got ${value}`, { exitCode: 2 });
    }
  }
  const policyName = options.policy ?? 'centos7';
  const policy = policyName === 'none' ? null : await loadPolicy(policyName);
  return {
    manifest: options.manifest ?? null,
    policy,
    policyName,
    limits,
    concurrency: Math.max(1, options.concurrency ?? 2),
    allowEmpty: options.allowEmpty === true,
  };
}

function targetOf(facts: TarballFacts, manifest: ManifestLoad): { arch: TargetArch; source: string } {
  if (manifest.state === 'ok') return { arch: manifest.manifest.target.arch, source: 'target from the manifest' };
  const fromName = parseTarballName(basename(facts.file)).arch;
  if (fromName !== null) return { arch: fromName, source: 'target from the file name' };
  const node = [...facts.binaries.values()].find((b) => dropTopFolder(b.path) === 'node');
  if (archOfMachine(node?.machine) === 'arm64') return { arch: 'arm64', source: 'target from the bundled node' };
  return { arch: 'x64', source: 'default target x64' };
}

/** How the boot shares verify's one read: the plain tar goes to `onTarChunk`, the facts to `onFacts`. */
export interface TarballTap {
  onTarChunk?: (chunk: Buffer) => Promise<void> | undefined;
  onFacts?: (facts: TarballFacts) => void;
}

export async function verifyTarball(file: string, resolved: ResolvedVerifyOptions, tap: TarballTap = {}): Promise<TarballReport> {
  const manifestFile = resolved.manifest ?? sidecarManifestPath(file);
  // Parsing and validating the manifest is main-thread work that can run while zlib, in the
  // threadpool, inflates the first chunks of the tarball.
  const manifestLoad = loadManifest(manifestFile);
  manifestLoad.catch(() => undefined);
  let facts: TarballFacts;
  try {
    facts = await readTarballFacts(file, resolved.limits, tap.onTarChunk);
  } catch (error) {
    if (hasCode(error, 'TARBALL_UNREADABLE')) return { file, ok: false, checks: [], error: error.message };
    throw error;
  }
  tap.onFacts?.(facts);
  const manifest = await manifestLoad;
  const target = targetOf(facts, manifest);
  const nameParts = parseTarballName(basename(file));
  const ctx: CheckContext = {
    facts,
    manifest,
    policy: resolved.policy,
    policyName: resolved.policyName,
    limits: resolved.limits,
    arch: target.arch,
    archSource: target.source,
    launcherName: manifest.state === 'ok' ? manifest.manifest.name : nameParts.name,
    nodeModuleVersion: facts.nodeVersion === null ? null : nodeModuleVersion(facts.nodeVersion),
    allowEmpty: resolved.allowEmpty,
  };
  const checks = runChecks(ctx);
  debug('%s: %o', file, checks.map((c) => `${c.id}=${String(c.ok)}`));
  return { file, ok: checks.every((c) => c.ok !== false), checks };
}

/** Runs `work` over `items` with at most `limit` in flight, keeping the input order in the result. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** `doctor verify`: one report per tarball, in the order given. */
export async function verify(tarballs: readonly string[], options: VerifyOptions = {}): Promise<VerifyReport> {
  const resolved = await resolveVerifyOptions(tarballs, options);
  const reports = await mapLimited(tarballs, resolved.concurrency, (file) => verifyTarball(file, resolved));
  return { ok: reports.every((r) => r.ok), tarballs: reports };
}

/** 0 all pass, 1 a check failed, 2 a tarball could not be read. */
export function exitCodeOf(report: VerifyReport): 0 | 1 | 2 {
  if (report.tarballs.some((t) => t.error !== undefined)) return 2;
  return report.ok ? 0 : 1;
}
