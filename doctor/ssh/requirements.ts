/**
 * requirements: the verdict on the host before anything is installed, from two sources that the
 * loader's verdict (native-load) later confirms or contradicts:
 * - the release's own host check (`bin/helpers/check-requirements.sh`, what the launcher runs
 *   first: exit 0 start, 99 refuse), streamed to the host and run there;
 * - abi-gate's policy check of every ELF file against a policy made of the host's facts: the
 *   version definitions its libraries really carry and the sonames its loader cache lists
 *   (or a named policy, `--policy`).
 */
import { checkFiles, loadPolicy, splitVersion, type Machine, type Policy, type ScanEntry, type TreeIndex } from '../../abi-gate/index.js';
import { UNMET_EXIT_CODE } from '../../release/index.js';
import type { RuntimeFacts } from '../boot/index.js';
import type { CheckResult } from '../report-types.js';
import type { SshConnection } from './client.js';

/** The version definitions the host's libraries carry, as a policy abi-gate's check reads. */
export function hostPolicy(name: string, machine: Machine, runtime: RuntimeFacts): Policy {
  const allowed: Record<string, string[]> = {};
  for (const defs of Object.values(runtime.versionDefs)) {
    for (const def of defs) {
      const { family, version } = splitVersion(def);
      if (version === '' || family === '') continue;
      const list = (allowed[family] ??= []);
      if (!list.includes(version)) list.push(version);
    }
  }
  const max: Record<string, string> = {};
  if (runtime.glibc !== null) max['GLIBC'] = runtime.glibc;
  if (runtime.glibcxx !== null) max['GLIBCXX'] = runtime.glibcxx;
  return {
    name,
    description: `the host's own libraries`,
    arches: { [machine]: { allowed, max } },
    libraryWhitelist: runtime.libraries,
    libc: ['glibc', 'static', 'none'],
  };
}

/**
 * Writes the script into the run folder from stdin and runs it with the interpreter its `#!`
 * line names (sh when none): the run folder may sit on a noexec /tmp.
 */
const HOST_CHECK_RUNNER = String.raw`
f="$1/check-requirements.sh"
cat > "$f" || exit 97
interp=sh
first="$(head -n 1 "$f")"
case "$first" in
  '#!/usr/bin/env '*) interp="$(echo "$first" | cut -d' ' -f2)" ;;
  '#!'*) interp="$(echo "$first" | cut -c3- | cut -d' ' -f1)" ;;
esac
cd "$2" 2>/dev/null || cd /
"$interp" "$f"
`;

export type HostCheckVerdict = { ran: false } | { ran: true; exitCode: number | null; output: string[] };

export async function runHostCheck(connection: SshConnection, script: Buffer, cwd: string, signal?: AbortSignal): Promise<HostCheckVerdict> {
  const { Readable } = await import('node:stream');
  const result = await connection.run(HOST_CHECK_RUNNER, [connection.runDir, cwd], {
    stdin: Readable.from([script]),
    ...(signal === undefined ? {} : { signal }),
  });
  const output = `${result.stdout.toString('utf8')}\n${result.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return { ran: true, exitCode: result.exitCode, output };
}

export interface RequirementsInput {
  files: ScanEntry[];
  tree: TreeIndex;
  machine: Machine;
  runtime: RuntimeFacts;
  /** `host` (the default): the host's facts; else a policy name or file for loadPolicy. */
  policy: string;
  hostLabel: string;
  hostCheck: HostCheckVerdict;
}

export function requirementsCheck(input: RequirementsInput): CheckResult {
  const policy = input.policy === 'host' ? hostPolicy(input.hostLabel, input.machine, input.runtime) : loadPolicy(input.policy);
  const result = checkFiles(input.files, policy, input.tree);
  const elfCount = input.files.length;
  const gate = result.ok
    ? `abi-gate: all ${elfCount} ELF files fit ${policy.name}`
    : `abi-gate: ${new Set(result.violations.map((v) => v.path)).size} of ${elfCount} ELF files need more than ${policy.name} has`;
  const check = input.hostCheck;
  let script: string;
  let scriptOk: boolean;
  if (!check.ran) {
    script = 'the release ships no bin/helpers/check-requirements.sh';
    scriptOk = true;
  } else if (check.exitCode === 0) {
    script = `its check-requirements.sh accepts the host`;
    scriptOk = true;
  } else {
    const why = check.output.at(-1) ?? '';
    script = `its check-requirements.sh ${check.exitCode === UNMET_EXIT_CODE ? `refuses the host (exit ${UNMET_EXIT_CODE})` : `failed (exit ${check.exitCode ?? 'by a signal'})`}${why === '' ? '' : `: ${why}`}`;
    scriptOk = false;
  }
  const details = result.violations.map((v) => v.message);
  if (check.ran && check.exitCode !== 0) details.push(...check.output.map((l) => `check-requirements.sh: ${l}`));
  if (result.ok !== scriptOk && check.ran) {
    details.unshift(`the release's host check and abi-gate disagree: one of them is wrong about this host`);
  }
  return { id: 'requirements', ok: result.ok && scriptOk, message: `${gate}; ${script}`, details };
}
