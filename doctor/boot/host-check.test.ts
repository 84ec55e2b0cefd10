import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../report-types.js';
import type { NativeVerdict } from './checks.js';
import { withHostCheck } from './host-check.js';

const agreed: CheckResult = { id: 'prediction', ok: true, message: "abi-gate's prediction matches" };
const loads = (path: string, loaderOk: boolean): NativeVerdict => ({ path, via: 'dlopen', ok: loaderOk, loaderOk, messages: [] });

describe('the host check held to what loads', () => {
  it('fails a script that refuses a host where every file loads', () => {
    const result = withHostCheck(agreed, { state: 'refused', exitCode: 99, unmet: ['needs GLIBC 2.28, this host has 2.17: node (fcntl64)'] }, [loads('node', true)]);
    expect(result).toMatchObject({ ok: false, message: 'THE HOST CHECK IS WRONG: bin/helpers/check-requirements.sh refused this host (needs GLIBC 2.28, this host has 2.17: node (fcntl64)), but all 1 files load' });
  });

  it('an addon whose own initialiser aborts is no host requirement: the loader part counts', () => {
    const crash: NativeVerdict = { path: 'crash.node', via: 'dlopen', ok: false, loaderOk: true, messages: ['the bundled node died while loading it'] };
    expect(withHostCheck(agreed, { state: 'ok', exitCode: 0, unmet: [] }, [loads('node', true), crash]).ok).toBe(true);
  });

  it('a release without the script is noted, not judged; a script that crashes fails', () => {
    expect(withHostCheck(agreed, { state: 'missing' }, [loads('node', true)])).toMatchObject({ ok: true, details: ['bin/helpers/check-requirements.sh: not in the release, so not compared'] });
    expect(withHostCheck(agreed, { state: 'error', exitCode: 2, output: 'syntax error' }, [loads('node', true)])).toMatchObject({ ok: false, message: 'bin/helpers/check-requirements.sh failed to run (exit 2): syntax error' });
  });
});
