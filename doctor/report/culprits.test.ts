import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixture } from '../test-support/fixtures.js';
import { TOP, writeServerTarball } from '../test-support/hostile-tarballs.js';
import { checkOf, useTempDir } from '../test-support/run.js';
import { verify } from '../verify.js';
import { renderHuman } from './index.js';

const dir = useTempDir('culprits');
const WAIT = '_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE';

describe('doctor: readable culprits and fix hints', () => {
  it('the glibc check carries the hints; the human report demangles its C++ culprits', async () => {
    const [fcntl, cxx] = await Promise.all([fixture('elf/symver-glibc-2.28.so'), fixture('elf/cxx-glibcxx-3.4.30.so')]);
    const tarball = await writeServerTarball(
      dir(),
      (e) => [
        ...e,
        { path: `${TOP}/node_modules/a/build/Release/a.node`, mode: 0o755, content: fcntl },
        { path: `${TOP}/node_modules/b/build/Release/b.node`, mode: 0o755, content: cxx },
      ],
      'culprits',
    );
    const report = await verify([tarball], {});
    const glibc = checkOf(report.tarballs[0]!, 'glibc');
    expect(glibc.details?.filter((d) => d.startsWith('hint ')).map((d) => d.slice(0, d.indexOf(':')))).toEqual([
      'hint (fcntl64@GLIBC_2.28)',
      `hint (${WAIT}@GLIBCXX_3.4.30)`,
    ]);
    // --json (the report as is) keeps the mangled names; the terminal shows them readable.
    const readable = execFileSync('c++filt', [WAIT], { encoding: 'utf8' }).trim();
    const text = renderHuman(report);
    expect(text).toContain(`${readable}@GLIBCXX_3.4.30`);
    expect(text).toContain(`hint (${readable}@GLIBCXX_3.4.30): built with a newer GCC`);
    expect(text).not.toContain(WAIT);
  });
});
