/**
 * The release's own host check (`bin/helpers/check-requirements.sh`), run in the container as the
 * IDE runs it before starting the server, and held to what really happened: it must say "ok"
 * (exit 0) exactly when every native file loads there (release/host-check generates it).
 */
import type { CheckResult } from '../report-types.js';
import type { BootContainer } from './container.js';
import type { NativeVerdict } from './checks.js';

export const HOST_CHECK_PATH = 'bin/helpers/check-requirements.sh';

/**
 * The launcher of a Code-OSS server may run the host check itself and refuse to start; the boot
 * runs it on its own and judges it against what loads, so the launcher is told to skip it.
 */
export const SKIP_LAUNCHER_CHECK_ENV = 'VSCODE_SERVER_SKIP_REQUIREMENTS_CHECK=1';

export type HostCheckVerdict =
  | { state: 'ok' | 'refused'; exitCode: number; unmet: string[] }
  | { state: 'missing' }
  | { state: 'error'; exitCode: number | null; output: string };

/** Runs the script with `--json` (a stock script ignores it and prints lines; both are read). */
export async function runHostCheck(box: BootContainer, dir: string): Promise<HostCheckVerdict> {
  const script = `${dir}/${HOST_CHECK_PATH}`;
  const run = await box.exec(['sh', '-c', '[ -f "$1" ] || exit 127; exec sh "$1" --json', 'sh', script]);
  if (run.exitCode === 127) return { state: 'missing' };
  if (run.exitCode !== 0 && run.exitCode !== 99) return { state: 'error', exitCode: run.exitCode, output: `${run.stdout}${run.stderr}`.trim().slice(0, 2000) };
  let unmet: string[];
  try {
    const parsed = JSON.parse(run.stdout) as { unmet?: { message?: unknown }[] };
    unmet = (parsed.unmet ?? []).map((u) => String(u.message));
  } catch {
    unmet = run.stdout.split('\n').filter((line) => line.trim() !== '');
  }
  return { state: run.exitCode === 0 ? 'ok' : 'refused', exitCode: run.exitCode, unmet };
}

/**
 * `prediction`, also judging the host check: a script that lets the host through while a file
 * fails to load, or refuses a host where everything loads, fails the check. The loader's part of
 * each verdict counts (an addon whose own initialiser aborts is no host requirement).
 */
export function withHostCheck(prediction: CheckResult, verdict: HostCheckVerdict, native: readonly NativeVerdict[]): CheckResult {
  if (verdict.state === 'missing') return note(prediction, `${HOST_CHECK_PATH}: not in the release, so not compared`);
  if (verdict.state === 'error') {
    return { ...prediction, ok: false, message: `${HOST_CHECK_PATH} failed to run (exit ${verdict.exitCode ?? 'unknown'}): ${verdict.output.split('\n')[0] ?? ''}`, details: [verdict.output, ...(prediction.details ?? [])] };
  }
  const failing = native.filter((v) => !v.loaderOk);
  const said = verdict.state === 'ok' ? 'accepted this host (exit 0)' : `refused this host (exit 99): ${verdict.unmet.join('; ')}`;
  if (native.length === 0) return note(prediction, `${HOST_CHECK_PATH} ${said}`);
  if ((verdict.state === 'ok') === (failing.length === 0)) {
    return note(prediction, `${HOST_CHECK_PATH} ${said}, as the loader agrees`);
  }
  const why =
    verdict.state === 'ok'
      ? `THE HOST CHECK IS WRONG: ${HOST_CHECK_PATH} accepted this host, but ${failing.length} of ${native.length} files do not load: ${failing.map((v) => v.path).join(', ')}`
      : `THE HOST CHECK IS WRONG: ${HOST_CHECK_PATH} refused this host (${verdict.unmet.join('; ')}), but all ${native.length} files load`;
  return { ...prediction, ok: false, message: why, details: [...(prediction.ok === false ? [prediction.message] : []), ...(prediction.details ?? [])] };
}

function note(result: CheckResult, line: string): CheckResult {
  return { ...result, details: [...(result.details ?? []), line] };
}
