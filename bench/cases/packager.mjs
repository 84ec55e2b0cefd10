// packager: packing the ~200 MB server tree against GNU tar + gzip -6 on the same tree
// (issue 3, "Speed and memory"). Its last output is kept for the doctor benchmark.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, runOnce } from '../lib/measure.mjs';
import { describeTree, nodeBinary, serverTree, treeCommit, WORK } from '../lib/inputs.mjs';
import { compared, fastestNote, skipped } from '../lib/report.mjs';
import { childEnv, DIST, missingReason, toolCommand } from '../lib/tools.mjs';

const PACKAGED = join(WORK, 'packaged');
const OUT = join(WORK, 'tmp', 'packager-out');

function buildArgs(tree, out, node) {
  // The tree carries npm's prebuilds for macOS, Windows and musl, as real node_modules do:
  // a release drops them (--prune-foreign) rather than failing.
  return ['build', '--server', tree, '--commit', treeCommit(), '--node', node, '--policy', 'none', '--prune-foreign', '--out', out];
}

/** The tarball packager wrote in `dir` (the one .tar.gz/.tgz, not its manifest). */
export function findTarball(dir) {
  if (!existsSync(dir)) return null;
  const found = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.tar.gz') || f.endsWith('.tgz'));
  return found.length === 1 ? join(dir, found[0]) : null;
}

/**
 * What the kept tarball was made from: the bench tree and the packager that packed it (its code
 * and the release contract's, generated check-requirements.sh included), so a changed packager
 * packs again instead of handing doctor a release it calls stale.
 */
function packagedRecipe() {
  const hash = createHash('sha256').update(treeCommit());
  for (const folder of ['packager', 'release']) {
    const files = readdirSync(join(DIST, folder), { recursive: true }).map(String).sort();
    for (const file of files) {
      if (/\.(js|sh|json)$/.test(file)) hash.update(`${folder}/${file}\0`).update(readFileSync(join(DIST, folder, file)));
    }
  }
  return hash.digest('hex');
}

function keepOutput(from, recipe) {
  rmSync(PACKAGED, { recursive: true, force: true });
  renameSync(from, PACKAGED);
  writeFileSync(`${PACKAGED}.recipe`, `${recipe}\n`);
}

/**
 * The packager tarball of the bench tree for doctor, built once (untimed) when the packager
 * benchmark did not run in this invocation. Null when packager is not built.
 */
export async function packagedTarball(ctx) {
  const recipe = packagedRecipe();
  const stamp = `${PACKAGED}.recipe`;
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === recipe) {
    const tgz = findTarball(PACKAGED);
    if (tgz) return tgz;
  }
  if (missingReason('packager')) return null;
  ctx.log('building the packager tarball for doctor (untimed)');
  const out = join(WORK, 'tmp', 'packager-once');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const { cmd, args } = toolCommand('packager', buildArgs(serverTree(ctx.log), out, nodeBinary(ctx.log)));
  const res = await runOnce(cmd, args, { env: childEnv });
  if (res.code !== 0) throw new Error(`packager build failed (${res.code}): ${res.stderr.trim().split('\n').pop()}`);
  keepOutput(out, recipe);
  return findTarball(PACKAGED);
}

export async function build(ctx) {
  const id = 'packager-build';
  const title = 'packager build <200 MB tree> vs tar --sort=name | gzip -6';
  const missing = missingReason('packager');
  if (missing) return skipped(id, title, missing);
  const tree = serverTree(ctx.log);
  const node = nodeBinary(ctx.log);
  const shape = describeTree(tree);
  mkdirSync(join(WORK, 'tmp'), { recursive: true });
  const baselineOut = join(WORK, 'tmp', 'baseline.tar.gz');
  const ours = {
    name: 'ours',
    ...toolCommand('packager', buildArgs(tree, OUT, node)),
    env: childEnv,
    before: () => {
      rmSync(OUT, { recursive: true, force: true });
      mkdirSync(OUT, { recursive: true });
    },
  };
  // Both sides write their tarball to the same disk, so neither gets /dev/null for free.
  const gnu = {
    name: 'gnu',
    cmd: 'bash',
    args: [
      '-c',
      'set -o pipefail; cd "$1" && tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - . | gzip -6 > "$2"',
      'gnu',
      tree,
      baselineOut,
    ],
    after: () => rmSync(baselineOut, { force: true }),
  };
  const r = await alternate([ours, gnu], { reps: ctx.quick ? 1 : 3, rss: true, log: ctx.log });
  const tgz = findTarball(OUT);
  const notes = [`input: ${(shape.bytes / 1e6).toFixed(0)} MB in ${shape.files} files, ${shape.elf} ELF`];
  if (tgz) {
    keepOutput(OUT, packagedRecipe());
    notes.push(`output kept for doctor: ${findTarball(PACKAGED)}`);
  } else {
    notes.push(`no single .tar.gz found in ${OUT}`);
  }
  return compared({
    id,
    title,
    ours: r.ours.medianMs,
    baseline: r.gnu.medianMs,
    baselineLabel: 'tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 | gzip -6 > file',
    checks: [
      // Issue 12: keep what issue 3's parallel gzip won (0.56x when issue 12 was written).
      { text: 'ratio <= 0.6', test: ({ ratio }) => ratio <= 0.6 },
      { text: 'peak RSS < 200 MB', test: ({ peakRssMB }) => peakRssMB !== null && peakRssMB < 200 },
    ],
    peakRssMB: r.ours.peakRssMB,
    notes: [...notes, fastestNote(r.ours, r.gnu)],
    extra: r,
  });
}
