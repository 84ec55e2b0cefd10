// doctor's boot against a bare `docker run` of the same image, with the image cached (issues 5
// and 12). The bare run (baselines/bare-boot.sh) extracts the same tarball with the container's
// tar into ~/.remote-ai-server/bin/<commit>, starts the server, GETs /version and exits with
// --rm. Both sides print their phases, shown side by side so the remaining gap is visible by phase.
// Rows: `doctor boot` (what a boot adds: wall - bare <= 3 s) and issue 12's
// `doctor verify --boot --policy none` (static gate and boot together: <= 1.3x the bare run).
import { join } from 'node:path';
import { alternate, median, runOnce } from '../lib/measure.mjs';
import { serverTarball } from '../lib/inputs.mjs';
import { compared, fastestNote, skipped } from '../lib/report.mjs';
import { ROOT, childEnv, missingReason, toolCommand } from '../lib/tools.mjs';
import { packagedTarball } from './packager.mjs';

/** The newest local test image built by docker/test-image/build.sh, or a reason there is none. */
async function testImage() {
  const info = await runOnce('docker', ['version', '--format', '{{.Server.Version}}'], { keepStdout: true, timeoutMs: 10_000 });
  if (info.code !== 0) return { ok: false, reason: `no Docker engine answers (${info.stderr.trim().split('\n').pop() ?? 'docker version failed'})` };
  const images = await runOnce('docker', ['images', 'remote-ai-test/bullseye', '--format', '{{.Repository}}:{{.Tag}}'], {
    keepStdout: true,
    timeoutMs: 10_000,
  });
  const tag = images.stdout.split('\n').find((line) => line.trim() !== '' && !line.endsWith(':<none>'));
  return tag ? { ok: true, tag: tag.trim() } : { ok: false, reason: 'no remote-ai-test/bullseye image (run docker/test-image/build.sh)' };
}

/**
 * doctor's phases from the boot check's timings line, as `{ name: [startMs, endMs] }` from the
 * boot's start (`... phases (start+duration s): container 0.00+0.43, install 0.01+2.10, ...`).
 * The verify phase of `verify --boot` is in the same line. Lines of older builds list durations
 * only (`phases, overlapping: image 0.04, container 1.05, ...`): their phases start at 0.
 */
export function doctorPhases(stdout) {
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    return null;
  }
  const details = report.tarballs?.[0]?.checks?.find((c) => c.id === 'boot')?.details ?? [];
  const line = details.find((d) => d.startsWith('timings:'));
  if (line === undefined) return null;
  const phases = {};
  const list = line.slice(line.search(/phases/)).replace(/^[^:]*:/, '');
  for (const part of list.split(',')) {
    const m = /^\s*([\w-]+) ([\d.]+)(?:\+([\d.]+))?\s*$/.exec(part);
    if (m === null) continue;
    const [start, dur] = m[3] === undefined ? [0, Number(m[2])] : [Number(m[2]), Number(m[3])];
    phases[m[1]] = [start * 1000, (start + dur) * 1000];
  }
  return phases;
}

/** bare-boot.sh's `phase <name> <start-ms> <end-ms>` lines. */
function barePhases(stdout) {
  const phases = {};
  for (const m of stdout.matchAll(/^phase (\S+) (\d+) (\d+)$/gm)) phases[m[1]] = [Number(m[2]), Number(m[3])];
  return phases;
}

/** Median start and end per phase over runs, printed `name start+duration s`. */
function phaseLine(runs) {
  const names = [...new Set(runs.flatMap((r) => (r === null ? [] : Object.keys(r))))];
  const parts = names.map((name) => {
    const spans = runs.filter((r) => r?.[name] !== undefined).map((r) => r[name]);
    const start = median(spans.map((s) => s[0]));
    const end = median(spans.map((s) => s[1]));
    return `${name} ${(start / 1000).toFixed(2)}+${((end - start) / 1000).toFixed(2)}`;
  });
  return parts.length === 0 ? '-' : parts.join(', ');
}

const fmtS = (ms) => (typeof ms === 'number' && Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-');

async function releaseFacts(tgz) {
  const res = await runOnce('bash', ['-c', 'set +o pipefail; tar -xzOf "$1" --wildcards "*/product.json" | head -c 65536', 'facts', tgz], { keepStdout: true });
  const product = JSON.parse(res.stdout);
  return { commit: product.commit, launcher: `bin/${product.serverApplicationName}` };
}

/** One side-by-side comparison of a doctor command with the bare run. */
async function against(ctx, image, tgz, { id, title, args, label, checks, bestOf }) {
  const facts = await releaseFacts(tgz);
  const ours = { name: 'ours', phases: [] };
  const bare = { name: 'bare', phases: [] };
  const sides = [
    {
      name: 'ours',
      ...toolCommand('doctor', [...args, tgz, '--image', image, '--json']),
      env: childEnv,
      keepStdout: true,
      // 1 is a verdict about the release (a native file did not load); the boot itself still ran.
      ok: (res) => (res.code === 0 || res.code === 1) && res.stdout.trim().startsWith('{'),
      after: (res) => ours.phases.push(doctorPhases(res.stdout)),
    },
    {
      name: 'bare',
      cmd: 'bash',
      args: [join(ROOT, 'bench', 'baselines', 'bare-boot.sh'), image, tgz, facts.commit, facts.launcher],
      keepStdout: true,
      after: (res) => bare.phases.push(barePhases(res.stdout)),
    },
  ];
  // Few rounds: each boot costs seconds; the warm-up pair is dropped from both sides.
  const r = await alternate(sides, { reps: ctx.quick ? 1 : 2, rss: true, log: ctx.log });
  const pick = (side) => (bestOf ? r[side].minMs : r[side].medianMs);
  return compared({
    id,
    title,
    ours: pick('ours'),
    oursLabel: `${label}, image ${image}${bestOf ? ', best run' : ''}`,
    baseline: pick('bare'),
    baselineLabel: `bare docker run --rm -i: tar -xzf into ~/.remote-ai-server/bin/<commit>, server start, GET /version, exit${bestOf ? ', best run' : ''}`,
    checks,
    peakRssMB: r.ours.peakRssMB,
    notes: [
      `phases of doctor (start+duration s): ${phaseLine(ours.phases.slice(1))}`,
      `phases of the bare run (start+duration s): ${phaseLine(bare.phases.slice(1))}`,
      `medians: ours ${fmtS(r.ours.medianMs)}, bare ${fmtS(r.bare.medianMs)}; difference ${fmtS(r.ours.medianMs - r.bare.medianMs)}`,
      fastestNote(r.ours, r.bare),
      `tarball: ${tgz}`,
    ],
    extra: { ...r, phases: { ours: ours.phases, bare: bare.phases } },
  });
}

export async function boot(ctx) {
  const missing = missingReason('doctor');
  if (missing) return skipped('doctor-boot', 'doctor boot vs bare docker run', missing);
  const image = await testImage();
  if (!image.ok) return skipped('doctor-boot', 'doctor boot vs bare docker run', image.reason);
  // packager's output: doctor boots a release (with its launcher and manifest), not a raw build.
  const tgz = (await packagedTarball(ctx)) ?? serverTarball(ctx.log);
  const rows = [];
  rows.push(
    await against(ctx, image.tag, tgz, {
      id: 'doctor-boot',
      title: 'doctor boot vs bare docker run',
      args: ['boot'],
      label: 'doctor boot --json wall time',
      bestOf: false,
      // What doctor adds to what any boot must do (start a container, extract, start the server).
      checks: [{ text: 'wall - bare run <= 3 s', test: ({ ours, baseline }) => baseline !== null && ours - baseline <= 3000 }],
    }),
  );
  ctx.log('doctor verify --boot --policy none vs the bare run');
  rows.push(
    await against(ctx, image.tag, tgz, {
      id: 'doctor-verify-boot',
      title: 'doctor verify --boot --policy none vs bare docker run (issue 12)',
      args: ['verify', '--boot', '--policy', 'none'],
      label: 'doctor verify --boot --policy none --json wall time',
      bestOf: true,
      checks: [{ text: 'ratio <= 1.3 (best runs)', test: ({ ratio }) => ratio !== null && ratio <= 1.3 }],
    }),
  );
  return rows;
}
