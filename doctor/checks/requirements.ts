import { createHash } from 'node:crypto';
import { CHECK_SCRIPT_PATH, checkRequirementsScript, hostRequirements, machineOf, type HostRequirements, type TargetArch } from '../../release/index.js';
import type { CheckResult } from '../report-types.js';
import type { CheckContext, TarballFacts } from '../verify-types.js';
import { elfFiles } from './glibc.js';
import { fail, incompleteReason, indexByRelative, pass, relativeToTop, skip, topFolder } from './tree.js';

/**
 * `bin/helpers/check-requirements.sh`, the script the IDE runs on the host before starting the
 * server (exit 99 refuses the host), must be exactly the one the release's binaries call for:
 * the server build's stock script (fixed GLIBC 2.28 / GLIBCXX 3.4.25 in Code-OSS) refuses hosts the
 * release runs on, or lets through hosts where it breaks; an edited one may do either.
 */

/** What the tarball's binaries ask of the host, computed as packager computes it. */
export function requirementsOf(facts: TarballFacts, arch: TargetArch): HostRequirements {
  const top = topFolder(facts.entries);
  const files = elfFiles(facts).map((file) => ({ ...file, path: relativeToTop(file.path, top) ?? file.path }));
  const index = indexByRelative(facts);
  return hostRequirements(files, { has: (path) => index.has(path) }, machineOf(arch));
}

export function checkRequirements(ctx: CheckContext): CheckResult {
  const { facts } = ctx;
  if (!facts.complete) return skip('requirements', incompleteReason(facts));
  const top = topFolder(facts.entries) ?? '.';
  const shown = `${top}/${CHECK_SCRIPT_PATH}`;
  const entry = indexByRelative(facts).get(CHECK_SCRIPT_PATH);
  if (entry === undefined) {
    return fail('requirements', `${shown} is missing: the IDE runs it before starting the server (rebuild with packager build, which generates it)`);
  }
  if (entry.kind !== 'file' || (entry.mode & 0o111) === 0) {
    return fail('requirements', `${shown} is not an executable file (${entry.kind}, mode ${(entry.mode & 0o7777).toString(8)}): the IDE cannot run it`);
  }
  const wanted = requirementsOf(facts, ctx.arch);
  const script = checkRequirementsScript(wanted);
  const problems: string[] = [];
  const sha256 = createHash('sha256').update(script).digest('hex');
  if (entry.sha256 !== sha256) {
    problems.push(
      `${shown} is not the script the release's binaries call for (sha256 ${short(entry.sha256)}, ${entry.size} bytes; expected ${short(sha256)}, ${Buffer.byteLength(script)} bytes): ` +
        'the server build\'s stock script, an edited or a stale one; rebuild with packager build',
    );
  }
  if (ctx.manifest.state === 'ok' && ctx.manifest.manifest.hostRequirements !== undefined) {
    const recorded = ctx.manifest.manifest.hostRequirements;
    if (JSON.stringify(recorded) !== JSON.stringify(wanted)) problems.push(`the manifest's hostRequirements differ from what the binaries need: ${firstDifference(recorded, wanted)}`);
  }
  if (problems.length > 0) return fail('requirements', problems[0] ?? '', problems);
  return pass('requirements', `${shown} asks for exactly what the binaries need: ${summary(wanted)}`);
}

function short(sha: string | null): string {
  return sha === null ? 'none' : `${sha.slice(0, 12)}…`;
}

/** `x86_64 glibc, GLIBC 2.17, GLIBCXX 3.4.19, kernel 3.2.0, 9 system libraries`. */
export function summary(req: HostRequirements): string {
  const parts = [`${req.machine} ${req.libc === 'any' ? 'any libc' : req.libc}`, ...req.floors.map((f) => `${f.family} ${f.version}`)];
  if (req.kernel !== null) parts.push(`kernel ${req.kernel.version}`);
  parts.push(`${req.libraries.length} system ${req.libraries.length === 1 ? 'library' : 'libraries'}`);
  return parts.join(', ');
}

function firstDifference(recorded: HostRequirements, wanted: HostRequirements): string {
  if (recorded.machine !== wanted.machine) return `machine ${recorded.machine} in the manifest, ${wanted.machine} in the binaries`;
  const floors = (r: HostRequirements): string => r.floors.map((f) => `${f.family} ${f.version}`).join(', ') || 'none';
  if (floors(recorded) !== floors(wanted)) return `floors ${floors(recorded)} in the manifest, ${floors(wanted)} in the binaries`;
  const kernel = (r: HostRequirements): string => r.kernel?.version ?? 'none';
  if (kernel(recorded) !== kernel(wanted)) return `kernel ${kernel(recorded)} in the manifest, ${kernel(wanted)} in the binaries`;
  const libs = (r: HostRequirements): string => r.libraries.map((l) => l.name).join(', ');
  if (libs(recorded) !== libs(wanted)) return `libraries ${libs(recorded)} in the manifest, ${libs(wanted)} in the binaries`;
  return 'the files or symbols that force them differ';
}
