// doctor boot: what doctor adds to a boot, with the image cached (issue 5). Baseline: a bare
// `docker run` of the same image that extracts the same tarball and starts the server until its
// listening line (baselines/bare-boot.sh); doctor's own phase timings are printed beside it.
import { join } from 'node:path';
import { alternate, median, runOnce } from '../lib/measure.mjs';
import { serverTarball, TARBALL_TOP } from '../lib/inputs.mjs';
import { compared, skipped } from '../lib/report.mjs';
import { ROOT, childEnv, missingReason, toolCommand } from '../lib/tools.mjs';
import { packagedTarball } from './packager.mjs';

const TITLE = 'doctor boot vs bare docker run (install + server start)';
const ID = 'doctor-boot';

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
 * doctor's own phase timings, from the boot check's details line
 * ("timings: 13.71 s in all: image and scan 0.02 s, server start-up 0.22 s, boot overhead 11.61 s ...").
 */
function phaseTimings(stdout) {
  try {
    const report = JSON.parse(stdout);
    const details = report.tarballs?.[0]?.checks?.find((c) => c.id === 'boot')?.details ?? [];
    const line = details.find((d) => d.startsWith('timings:'));
    if (line === undefined) return null;
    const num = (re) => {
      const m = re.exec(line);
      return m ? Number(m[1]) * 1000 : null;
    };
    return { line, allMs: num(/([\d.]+) s in all/), serverStartMs: num(/server start-up ([\d.]+) s/), overheadMs: num(/boot overhead ([\d.]+) s/) };
  } catch {
    return null;
  }
}

export async function boot(ctx) {
  const missing = missingReason('doctor');
  if (missing) return skipped(ID, TITLE, missing);
  const image = await testImage();
  if (!image.ok) return skipped(ID, TITLE, image.reason);
  // packager's output: doctor boots a release (with its launcher), not a raw build.
  const tgz = (await packagedTarball(ctx)) ?? serverTarball(ctx.log);
  const phases = [];
  const ours = {
    name: 'ours',
    ...toolCommand('doctor', ['boot', tgz, '--image', image.tag, '--json']),
    env: childEnv,
    keepStdout: true,
    // 1 is a verdict about the release (a native file did not load); the boot itself still ran.
    ok: (res) => (res.code === 0 || res.code === 1) && res.stdout.trim().startsWith('{'),
    after: (res) => phases.push(phaseTimings(res.stdout)),
  };
  const bareMs = [];
  const bare = {
    name: 'bare',
    cmd: 'bash',
    args: [join(ROOT, 'bench', 'baselines', 'bare-boot.sh'), image.tag, tgz, await topFolder(tgz)],
    keepStdout: true,
    after: (res) => {
      const m = /ready-ms (\d+)/.exec(res.stdout);
      if (m) bareMs.push(Number(m[1]));
    },
  };
  // Few rounds: each boot costs seconds; the warm-up pair is dropped from both sides.
  const r = await alternate([ours, bare], { reps: ctx.quick ? 1 : 2, rss: true, log: ctx.log });
  const counted = phases.slice(1);
  const serverStart = median(counted.map((p) => p?.serverStartMs).filter((v) => typeof v === 'number'));
  const selfReported = median(counted.map((p) => p?.overheadMs).filter((v) => typeof v === 'number'));
  const bareReady = median(bareMs.slice(1));
  const overhead = Number.isFinite(serverStart) ? r.ours.medianMs - serverStart : null;
  return compared({
    id: ID,
    title: TITLE,
    ours: r.ours.medianMs,
    oursLabel: `doctor boot --json wall time, image ${image.tag}`,
    baseline: Number.isFinite(bareReady) ? bareReady : null,
    baselineLabel: 'bare docker run -i: tar -xzf in the container + server start to its listening line',
    // Overhead is what doctor adds to what any boot must do: start a container, extract the
    // tarball in it and start the server (the bare run). Counting the extraction of a 200 MB
    // tree as overhead would make the target a function of the tarball's size; that reading is
    // printed below too.
    checks: [
      {
        text: 'wall - bare run <= 3 s',
        test: ({ ours, baseline }) => baseline !== null && ours - baseline <= 3000,
      },
    ],
    peakRssMB: r.ours.peakRssMB,
    notes: [
      `overhead = doctor wall - bare run = ${fmtS(r.ours.medianMs - bareReady)}`,
      `server start-up (doctor's phase timing) ${fmtS(serverStart)}; wall - start-up = ${fmtS(overhead)}; doctor's self-reported overhead (copy + extract + probes + loads) ${fmtS(selfReported)}`,
      `tarball: ${tgz}`,
    ],
    extra: { ...r, bareReadyMs: bareMs, phases },
  });
}

function fmtS(ms) {
  return typeof ms === 'number' && Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '-';
}

/** The tarball's one top-level folder (packager names it after the release). */
async function topFolder(tgz) {
  const res = await runOnce('bash', ['-c', 'set +o pipefail; tar -tzf "$1" | head -1', 'top', tgz], { keepStdout: true });
  return res.stdout.trim().split('/')[0] || TARBALL_TOP;
}
