import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// `files` in package.json decides what `npm i -D remote-ai-server-toolkit` gets. The packed list
// must be exactly dist/ (minus the repository-only demo), the Docker recipe the default boot image
// is built from, the test image script, and the GitHub Action (used from node_modules): what the
// bins and the action need at run time, nothing of the tests.
// ci/install-check.mjs (run by .ci/run) then installs the packed tarball and runs each bin.
const ROOT = join(import.meta.dirname, '..');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  private?: boolean;
  bin: Record<string, string>;
  exports: Record<string, string>;
};

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [relative(ROOT, path)];
  });
}

describe.skipIf(!existsSync(join(ROOT, 'dist')) && process.env['CI'] !== 'true')('the published files (skipped when not built: run `npm run build`)', () => {
  it('has every bin executable after a build, so `npx <bin>` in this checkout runs', () => {
    const { bin } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(Object.keys(bin).sort()).toEqual(['abi-gate', 'doctor', 'packager']);
    for (const file of Object.values(bin)) expect(statSync(join(ROOT, file)).mode & 0o111, file).toBe(0o111);
    const run = spawnSync('npx', ['--no-install', 'packager', '--version'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.stderr).not.toContain('Permission denied');
    expect(run.status).toBe(0);
  });

  it('are dist/ without the demo, docker/centos7, the test image script and the action, and nothing else', () => {
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const [packed] = JSON.parse(pack.stdout) as { files: { path: string }[] }[];
    const files = new Set(packed?.files.map((f) => f.path));
    const wanted = [
      ...walk(join(ROOT, 'dist')).filter((p) => !/^dist\/doctor\/demo\./.test(p)),
      ...walk(join(ROOT, 'docker', 'centos7')),
      'docker/test-image/build.sh',
      'docker/test-image/debootstrap-image.sh',
      'action.yml',
      'ci/github/action-step.mjs',
      'package.json',
      'README.md',
    ];
    expect([...files].sort()).toEqual(wanted.sort());
    for (const path of [...Object.values(PACKAGE.bin), ...Object.values(PACKAGE.exports)]) expect(files, path).toContain(path.replace(/^\.\//, ''));
    for (const asset of ['dist/abi-gate/policies/centos7.json', 'dist/abi-gate/policy.schema.json', 'dist/release/manifest.schema.json', 'docker/centos7/Dockerfile']) {
      expect(files, asset).toContain(asset);
    }
    expect(PACKAGE.private).toBeUndefined();
  });
});
