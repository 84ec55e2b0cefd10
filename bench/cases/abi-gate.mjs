// abi-gate: start-up for one small .node, a whole server tarball against the user's way and the
// gzip floor, and the bytes read from one ~100 MB node binary (issue 2, section 7).
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, runOnce } from '../lib/measure.mjs';
import { describeTree, nodeBinary, serverTarball, serverTree, WORK } from '../lib/inputs.mjs';
import { compared, fastestNote, skipped } from '../lib/report.mjs';
import { DIST, ROOT, childEnv, missingReason, toolCommand } from '../lib/tools.mjs';

const SMALL_NODE = 'node_modules/bufferutil/prebuilds/linux-x64/node.napi.node';

export async function startup(ctx) {
  const id = 'abi-gate-startup';
  const title = 'abi-gate scan <one .node> vs node -e 0';
  const missing = missingReason('abi-gate');
  if (missing) return skipped(id, title, missing);
  const file = join(serverTree(ctx.log), SMALL_NODE);
  const ours = { name: 'ours', ...toolCommand('abi-gate', ['scan', file]), env: childEnv };
  const bare = { name: 'bare', cmd: process.execPath, args: ['-e', '0'], env: childEnv };
  // Unwrapped timing (GNU time's own start-up would be ~2% of a 40 ms run); RSS from one extra run.
  const r = await alternate([ours, bare], { reps: ctx.quick ? 10 : 30, log: ctx.log });
  const rss = await runOnce(ours.cmd, ours.args, { rss: true, env: childEnv });
  return compared({
    id,
    title,
    ours: r.ours.medianMs,
    baseline: r.bare.medianMs,
    baselineLabel: 'node -e 0',
    checks: [{ text: 'ratio <= 1.3', test: ({ ratio }) => ratio <= 1.3 }],
    peakRssMB: rss.rssMB,
    notes: [fastestNote(r.ours, r.bare)],
    extra: r,
  });
}

/** Counts the binaries ours reported, so a fast run that scanned nothing cannot pass unnoticed. */
function countScanned(stdout) {
  try {
    const report = JSON.parse(stdout);
    const files = Array.isArray(report.files) ? report.files : [];
    return files.filter((f) => f.format === 'elf').length;
  } catch {
    return null;
  }
}

export async function tarball(ctx) {
  const id = 'abi-gate-tarball';
  const titleUser = 'abi-gate scan --json server.tar.gz vs extract + objdump idiom';
  const titleGzip = 'abi-gate scan --json server.tar.gz vs gzip -dc';
  const missing = missingReason('abi-gate');
  if (missing) return [skipped(`${id}-user`, titleUser, missing), skipped(`${id}-gzip`, titleGzip, missing)];
  const tgz = serverTarball(ctx.log);
  const shape = describeTree(serverTree(ctx.log));
  const dest = join(WORK, 'tmp', 'extract');
  let oursElf = null;
  const ours = {
    name: 'ours',
    ...toolCommand('abi-gate', ['scan', '--json', tgz]),
    env: childEnv,
    keepStdout: true,
    ok: (res) => res.code === 0 || res.code === 1,
    after: (res) => {
      oursElf = countScanned(res.stdout);
    },
  };
  let userElf = null;
  const user = {
    name: 'user',
    cmd: 'bash',
    args: [join(ROOT, 'bench', 'baselines', 'extract-and-objdump.sh'), tgz, dest],
    keepStdout: true,
    before: () => rmSync(dest, { recursive: true, force: true }),
    after: (res) => {
      userElf = res.stdout.split('\n').filter(Boolean).length;
      rmSync(dest, { recursive: true, force: true });
    },
  };
  const gzip = { name: 'gzip', cmd: 'bash', args: ['-c', 'gzip -dc "$1" > /dev/null', 'gzip', tgz] };
  mkdirSync(join(WORK, 'tmp'), { recursive: true });
  const r = await alternate([ours, user, gzip], { reps: ctx.quick ? 2 : 5, rss: true, log: ctx.log });
  const notes = [
    `input: ${(shape.bytes / 1e6).toFixed(0)} MB in ${shape.files} files, ${shape.elf} ELF; tarball ${(statSync(tgz).size / 1e6).toFixed(0)} MB`,
    `ELF files reported: ours ${oursElf ?? 'unparsable --json'}, objdump baseline ${userElf}`,
  ];
  return [
    compared({
      id: `${id}-user`,
      title: titleUser,
      ours: r.ours.medianMs,
      baseline: r.user.medianMs,
      baselineLabel: 'tar -xzf, find + grep ELF magic, objdump -T idiom per ELF',
      checks: [
        { text: 'ratio <= 0.667 (1.5x faster)', test: ({ ratio }) => ratio <= 1 / 1.5 },
        { text: `reports all ${shape.elf} ELF`, test: () => oursElf !== null && oursElf >= shape.elf },
      ],
      peakRssMB: r.ours.peakRssMB,
      notes: [...notes, fastestNote(r.ours, r.user)],
      extra: r,
    }),
    compared({
      id: `${id}-gzip`,
      title: titleGzip,
      ours: r.ours.medianMs,
      baseline: r.gzip.medianMs,
      baselineLabel: 'gzip -dc > /dev/null',
      checks: [{ text: 'ratio <= 1.3', test: ({ ratio }) => ratio <= 1.3 }],
      peakRssMB: r.ours.peakRssMB,
      notes: [fastestNote(r.ours, r.gzip)],
      extra: r,
    }),
  ];
}

export async function bigBinary(ctx) {
  const id = 'abi-gate-node-binary';
  const title = 'abi-gate scanFile(~100 MB node): bytes read';
  const index = join(DIST, 'abi-gate', 'index.js');
  if (!existsSync(index)) return skipped(id, title, 'abi-gate not built (no dist/abi-gate/index.js)');
  const node = nodeBinary(ctx.log);
  const reps = ctx.quick ? 3 : 7;
  const child = await runOnce(process.execPath, [join(ROOT, 'bench', 'lib', 'scan-one.mjs'), index, node, String(reps)], {
    rss: true,
    env: childEnv,
    keepStdout: true,
  });
  if (child.code !== 0) {
    return { id, title, status: 'ERROR', reason: (child.stderr || child.stdout).trim().split('\n').slice(-2).join(' | ') };
  }
  const got = JSON.parse(child.stdout);
  const idiom = { name: 'objdump', cmd: 'bash', args: ['-c', `objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1`, 'idiom', node] };
  const r = await alternate([idiom], { reps: ctx.quick ? 3 : 7, log: ctx.log });
  return compared({
    id,
    title,
    ours: got.medianMs,
    oursLabel: `in-process scanFile, median of ${reps} after a warm-up; read ${(got.bytesRead / 1e6).toFixed(2)} MB of ${(got.size / 1e6).toFixed(0)} MB`,
    baseline: r.objdump.medianMs,
    baselineLabel: 'objdump -T idiom on the same file (no target, for scale)',
    checks: [{ text: 'bytes read < 10 MB', test: () => got.bytesRead < 10 * 1024 * 1024 }],
    peakRssMB: child.rssMB,
    notes: [`requires: ${JSON.stringify(got.requires)}`],
    extra: { ...got, objdump: r.objdump },
  });
}
