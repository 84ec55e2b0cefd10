import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliIo } from './cli.js';
import { parseSize } from './commands/verify.js';
import { buildGoodTarball } from './test-support/good-tarball.js';
import { TOP, writeServerTarball } from './test-support/hostile-tarballs.js';
import { useTempDir } from './test-support/run.js';

const dir = useTempDir('cli');
let good: string;
let bad: string;

beforeAll(async () => {
  good = (await buildGoodTarball(join(dir(), 'good'))).tarball;
  bad = await writeServerTarball(dir(), (e) => [...e, { path: `${TOP}/.DS_Store`, content: 'x' }], 'bad');
});

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe('doctor verify CLI', () => {
  it('exits 0 with a human report for a good release', async () => {
    const { code, stdout } = await run(['verify', good]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/✓ integrity/);
    expect(stdout).toMatch(/PASS: 11 passed, 0 failed, 0 skipped/);
  });

  it('prints exactly the JSON contract and exits 1 when a check fails', async () => {
    const { code, stdout } = await run(['verify', good, bad, '--json', '--policy', 'none']);
    expect(code).toBe(1);
    const parsed = JSON.parse(stdout) as { ok: boolean; tarballs: { file: string; ok: boolean; checks: { id: string; ok: boolean | null; message: string }[] }[] };
    expect(parsed.ok).toBe(false);
    expect(parsed.tarballs.map((t) => t.ok)).toEqual([true, false]);
    for (const tarball of parsed.tarballs) {
      for (const check of tarball.checks) {
        expect(typeof check.id).toBe('string');
        expect([true, false, null]).toContain(check.ok);
        expect(typeof check.message).toBe('string');
      }
    }
    expect(parsed.tarballs[0]?.checks.find((c) => c.id === 'glibc')?.ok).toBeNull();
  });

  it('exits 2 for a missing tarball, and still reports the others', async () => {
    const { code, stdout } = await run(['verify', join(dir(), 'nope.tar.gz'), good, '--json']);
    expect(code).toBe(2);
    expect(JSON.parse(stdout).tarballs[1].ok).toBe(true);
  });

  it('exits 2 on usage errors with one line and no stack', async () => {
    for (const args of [['verify'], ['verify', good, '--max-total', 'lots'], ['verify', good, '--policy', 'centos6'], ['frobnicate'], []]) {
      const { code, stderr } = await run(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('writes JUnit and, under GitHub Actions, annotations and a step summary', async () => {
    const junit = join(dir(), 'report.xml');
    const summary = join(dir(), 'summary.md');
    await writeFile(summary, '');
    const { code, stdout } = await run(['verify', bad, '--junit', junit, '--policy', 'none'], { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary });
    expect(code).toBe(1);
    expect(stdout).toMatch(/^::error file=.*,title=doctor appledouble::1 macOS metadata entries/m);
    expect(await readFile(summary, 'utf8')).toMatch(/\| appledouble \| ✗ \|/);
    const py = 'import sys, xml.etree.ElementTree as ET; r = ET.parse(sys.argv[1]).getroot(); print(len(r.findall("testsuite/testcase")), len(r.findall("testsuite/testcase/failure")))';
    const parsed = spawnSync('python3', ['-c', py, junit], { encoding: 'utf8' });
    expect(parsed.stdout.trim()).toBe('11 2');
  });

  it('reads sizes with binary units', () => {
    expect(parseSize('4GiB', '--max-total')).toBe(4 * 1024 ** 3);
    expect(parseSize('512M', '--max-total')).toBe(512 * 1024 ** 2);
    expect(parseSize('1000', '--max-total')).toBe(1000);
    expect(() => parseSize('-1', '--max-total')).toThrow(/not a size/);
  });
});
