import type { LoadPrediction, ScannedFile } from '../../abi-gate/index.js';
import type { CheckResult } from '../report-types.js';
import { plural } from '../checks/tree.js';
import type { RuntimeFacts } from './runtime.js';
import type { Probe, ServerStart } from './server.js';

export interface NativeVerdict {
  path: string;
  via: 'dlopen' | 'ld.so --list';
  ok: boolean;
  /**
   * The dynamic loader's part of the verdict, which is what abi-gate predicts: an addon that the
   * loader mapped but node then refused ("did not self-register") or whose initialiser crashed
   * fails `native-load` while the loader itself succeeded.
   */
  loaderOk: boolean;
  /** The loader's (or node's) own words, verbatim. */
  messages: string[];
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function describeRuntime(runtime: RuntimeFacts | null): string {
  if (runtime === null) return 'the container';
  const glibc = runtime.glibc === null ? runtime.glibcRaw || 'unknown glibc' : `glibc ${runtime.glibc}`;
  return runtime.glibcxx === null ? glibc : `${glibc}, GLIBCXX_${runtime.glibcxx}`;
}

export function bootCheck(start: ServerStart, probe: Probe | null, commit: string | null, bin: string): CheckResult {
  if (!start.ok) {
    const what =
      start.reason === 'timeout'
        ? `${bin} printed no "Extension host agent listening on <port>" within ${seconds(start.startMs)}`
        : `${bin} exited (code ${start.exitCode ?? 'unknown'}) before "Extension host agent listening on <port>"`;
    return { id: 'boot', ok: false, message: `${what}; the last lines of its log follow`, details: start.log.slice(-15) };
  }
  const where = `${bin} listened on 127.0.0.1:${start.port} after ${seconds(start.startMs)}`;
  if (probe === null || !probe.ok) {
    return { id: 'boot', ok: false, message: `${where}, but GET /version failed: ${probe?.ok === false ? probe.error : 'not probed'}`, details: start.log.slice(-15) };
  }
  if (probe.status !== 200) {
    return { id: 'boot', ok: false, message: `${where}, but GET /version answered HTTP ${probe.status}: ${probe.body.slice(0, 200)}` };
  }
  if (commit !== null && probe.body !== commit) {
    return { id: 'boot', ok: false, message: `${where}, but GET /version answered "${probe.body.slice(0, 80)}", not the commit ${commit} of product.json` };
  }
  const answered = commit === null ? `answered (product.json has no commit to compare)` : `answered ${commit}`;
  return { id: 'boot', ok: true, message: `${where}; GET /version ${answered}` };
}

export function nativeLoadCheck(native: NativeVerdict[], runtime: RuntimeFacts | null, skipped: ScannedFile[]): CheckResult {
  const on = describeRuntime(runtime);
  const notJudged = skipped.map((f) => `not judged: ${f.path} (${f.machine}, ${f.libc}): not loadable by this platform's loader`);
  if (native.length === 0) {
    return { id: 'native-load', ok: null, message: `no ELF file of the server's platform to load`, details: notJudged };
  }
  const failed = native.filter((v) => !v.ok);
  const byDlopen = native.filter((v) => v.via === 'dlopen').length;
  if (failed.length === 0) {
    return {
      id: 'native-load',
      ok: true,
      message: `all ${native.length} ELF files load on ${on} (${plural(byDlopen, 'addon')} by the bundled node's dlopen, ${native.length - byDlopen} by ld.so --list)`,
      details: notJudged,
    };
  }
  return {
    id: 'native-load',
    ok: false,
    message: `${failed.length} of ${native.length} ELF files do not load on ${on}`,
    details: [...failed.map((v) => `${v.path} (${v.via}): ${v.messages.join(' | ') || 'failed without a message'}`), ...notJudged],
  };
}

export function predictionCheck(predictions: LoadPrediction[], native: NativeVerdict[], runtime: RuntimeFacts | null): CheckResult {
  const actual = new Map(native.map((v) => [v.path, v]));
  const disagreements: string[] = [];
  let compared = 0;
  let failing = 0;
  for (const p of predictions) {
    const real = actual.get(p.path);
    if (real === undefined) continue;
    compared++;
    if (!real.loaderOk) failing++;
    if (p.loads === real.loaderOk) continue;
    disagreements.push(
      p.loads
        ? `!! ${p.path}: abi-gate predicted it loads, but the loader said: ${real.messages.join(' | ')}`
        : `!! ${p.path}: abi-gate predicted it fails (${p.reasons.join('; ')}), but it loaded`,
    );
  }
  if (compared === 0) return { id: 'prediction', ok: null, message: 'nothing to compare: no ELF file was loaded' };
  if (disagreements.length > 0) {
    return {
      id: 'prediction',
      ok: false,
      message: `THE GATE IS WRONG: abi-gate's prediction for ${describeRuntime(runtime)} disagrees with the real loader on ${disagreements.length} of ${compared} files`,
      details: disagreements,
    };
  }
  const agreedFailures = predictions.filter((p) => !p.loads).map((p) => `predicted and failed: ${p.path}: ${p.reasons.join('; ')}`);
  return {
    id: 'prediction',
    ok: true,
    message: `abi-gate's prediction for ${describeRuntime(runtime)} matches the loader on all ${compared} files (${failing} fail, as predicted)`,
    details: agreedFailures,
  };
}
