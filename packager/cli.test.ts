import { spawnSync } from 'node:child_process';
import { afterAll, expect, test } from 'vitest';
import { runCli, type CliIo } from './cli.js';
import { cleanTempDirs, COMMIT, listing, MAC_BUILT, NATIVE_X64, NODE_STUB, SAMPLE, tempDir } from './test-support/fixtures.js';

afterAll(cleanTempDirs);

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, stderrIsTTY: false };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

const base = (out: string, server = SAMPLE, commit = COMMIT) => ['build', '--server', server, '--commit', commit, '--out', out, '--node', NODE_STUB, '--native', NATIVE_X64];

test('--json prints the build result a CI script reads', async () => {
  const out = await tempDir();
  const { code, stdout, stderr } = await run([...base(out), '--prune-foreign', '--json']);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const result = JSON.parse(stdout) as Record<string, unknown>;
  expect(result).toMatchObject({ ok: true, commit: COMMIT, arch: 'x64', node: { version: '16.20.2' }, abi: { policy: 'centos7' } });
  expect(result.pruned).toHaveLength(4);
  expect(spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out }).status).toBe(0);
});

test('human output says what was stripped, replaced, pruned, and the ABI', async () => {
  const { code, stdout } = await run([...base(await tempDir(), MAC_BUILT), '--prune-foreign']);
  expect(code).toBe(0);
  expect(stdout).toMatch(/stripped {2}\d+ macOS leftovers/);
  expect(stdout).toContain('replaced  node_modules/node-pty/build/Release/pty.node');
  expect(stdout).toContain('pruned    node_modules/@parcel/watcher/prebuilds/darwin-x64/watcher.node');
  expect(stdout).toMatch(/abi {7}GLIBC 2\.\d+(\.\d+)?, GLIBCXX -, CXXABI -; policy centos7 passed/);
});

test('a failed check exits 1 with one line per culprit and leaves out alone', async () => {
  const out = await tempDir();
  const { code, stdout, stderr } = await run(base(out));
  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr.split('\n')[0]).toMatch(/^packager build: 4 binaries are not for linux-x64: .*--prune-foreign/);
  expect(stderr).toContain('  node_modules/@parcel/watcher/prebuilds/win32-x64/watcher.node: PE');
  expect(await listing(out)).toEqual([]);
});

test('usage errors exit 2 in one line, also as JSON', async () => {
  const missing = await run(['build', '--server', SAMPLE]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toBe('packager build: missing --commit (see packager build --help)\n');
  expect(missing.stderr.trim().split('\n')).toHaveLength(1);
  const bad = await run([...base(await tempDir(), SAMPLE, 'nope'), '--json']);
  expect(bad.code).toBe(2);
  expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, error: { code: 'BAD_COMMIT', exitCode: 2 } });
  const arch = await run([...base(await tempDir()), '--arch', 'riscv64']);
  expect(arch.code).toBe(2);
  const twice = await run([...base(await tempDir()), '--commit', COMMIT]);
  expect(twice.code).toBe(2);
  expect(twice.stderr).toContain('--commit given more than once');
});
