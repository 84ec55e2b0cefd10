import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { build } from './build.js';
import { renderHuman, renderJson } from './cli.js';
import { cleanTempDirs, COMMIT, ELF, NODE_STUB, SAMPLE, tempDir } from './test-support/fixtures.js';

afterAll(cleanTempDirs);

const WAIT = '_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE';
const HOSTILE = 'x\n\u001b[2J\u0085\u202e\ud800';

describe("packager's human output", () => {
  it('shows input strings visibly, demangles culprits, adds fix hints; --json keeps symbol and adds demangled', async () => {
    const result = await build({ server: SAMPLE, commit: COMMIT, node: NODE_STUB, out: await tempDir(), policy: 'none', pruneForeign: true });
    result.natives.push({ action: 'replaced', path: `a${HOSTILE}.node`, from: `/src/${HOSTILE}` } as (typeof result.natives)[number]);
    result.pruned.push({ path: `p${HOSTILE}`, reason: `r${HOSTILE}` });
    result.manifest.abi.culprits = {
      GLIBC: [{ symbol: 'fcntl64', version: 'GLIBC_2.28', library: 'libc.so.6', path: 'node' }],
      GLIBCXX: [{ symbol: WAIT, version: 'GLIBCXX_3.4.30', library: 'libstdc++.so.6', path: `lib${HOSTILE}.node` }],
    };
    const plain = renderHuman(result).split('\n').length;
    result.manifest.node.source = `https://mirror/${HOSTILE}`;
    const text = renderHuman(result);
    expect(text.split('\n')).toHaveLength(plain);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]|[\ud800-\udbff](?![\udc00-\udfff])/);
    const readable = execFileSync('c++filt', [WAIT], { encoding: 'utf8' }).trim();
    expect(text).toContain(`GLIBCXX: ${readable}@GLIBCXX_3.4.30 from libstdc++.so.6 in lib`);
    expect(text).toContain('hint (fcntl64@GLIBC_2.28): official node >= 18');
    expect(text).toContain(`hint (${readable}@GLIBCXX_3.4.30): built with a newer GCC`);
    const json = JSON.parse(renderJson(result)) as { abi: { culprits: Record<string, { symbol: string; demangled: string | null }[]> }; hints: { id: string }[] };
    expect(json.abi.culprits.GLIBCXX?.[0]).toMatchObject({ symbol: WAIT, demangled: readable });
    expect(json.abi.culprits.GLIBC?.[0]).toMatchObject({ symbol: 'fcntl64', demangled: null });
    expect(json.hints.map((h) => h.id)).toEqual(['node-fcntl64', 'new-libstdcxx']);
  });

  it('a refused build names the fix for its culprit', async () => {
    const { runCli } = await import('./cli.js');
    let stderr = '';
    const io = { stdout: () => undefined, stderr: (t: string) => void (stderr += t), env: process.env, stderrIsTTY: false };
    const server = await tempDir();
    execFileSync('cp', ['-r', `${SAMPLE}/.`, server]);
    execFileSync('cp', [join(ELF, 'glibc-2.34-pthread.so'), join(server, 'node_modules', 'x.node')]);
    const code = await runCli(['build', '--server', server, '--commit', COMMIT, '--node', NODE_STUB, '--prune-foreign', '--out', await tempDir()], io);
    expect(code).toBe(1);
    expect(stderr).toContain('hint (pthread_create@GLIBC_2.34, pthread_join@GLIBC_2.34): built on glibc >= 2.34');
  });
});
