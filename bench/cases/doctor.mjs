// doctor verify: one streaming pass over a release tarball against `gzip -dc` on it
// (issue 4, "Speed and memory"; issue 12, verify faster than gunzip).
import { statSync } from 'node:fs';
import { alternate } from '../lib/measure.mjs';
import { serverTarball } from '../lib/inputs.mjs';
import { compared, fastestNote, skipped } from '../lib/report.mjs';
import { childEnv, missingReason, toolCommand } from '../lib/tools.mjs';
import { packagedTarball } from './packager.mjs';

export async function verify(ctx) {
  const id = 'doctor-verify';
  const titles = {
    none: 'doctor verify <tgz> --policy none vs gzip -dc (issue 12)',
    centos7: 'doctor verify <tgz> --policy centos7 vs gzip -dc',
  };
  // Issue 12 holds the plain pass to the floor (no slower than gzip -dc alone); a policy adds
  // its judgement of every ELF file, held to issue 4's 1.5x.
  const maxRatio = { none: 1.0, centos7: 1.5 };
  const missing = missingReason('doctor');
  if (missing) return Object.entries(titles).map(([policy, title]) => skipped(`${id}-${policy}`, title, missing));
  let tgz = await packagedTarball(ctx);
  const notes = [];
  if (tgz === null) {
    tgz = serverTarball(ctx.log);
    notes.push('packager not built: verifying the plain GNU tar tarball (no manifest, so the manifest check fails)');
  }
  notes.push(`input: ${tgz} (${(statSync(tgz).size / 1e6).toFixed(0)} MB, ~100 MB node inside)`);
  const exitCodes = {};
  const side = (policy) => ({
    name: policy,
    ...toolCommand('doctor', ['verify', tgz, '--policy', policy]),
    env: childEnv,
    // 1 is a verdict (node 20 needs GLIBC 2.28, so centos7 fails); only 2 means it could not verify.
    ok: (res) => res.code === 0 || res.code === 1,
    after: (res) => {
      exitCodes[policy] = res.code;
    },
  });
  const gzip = { name: 'gzip', cmd: 'bash', args: ['-c', 'gzip -dc "$1" > /dev/null', 'gzip', tgz] };
  const r = await alternate([side('none'), side('centos7'), gzip], { reps: ctx.quick ? 2 : 5, rss: true, log: ctx.log });
  return ['none', 'centos7'].map((policy) =>
    compared({
      id: `${id}-${policy}`,
      title: titles[policy],
      ours: r[policy].medianMs,
      oursLabel: `exit ${exitCodes[policy]}`,
      baseline: r.gzip.medianMs,
      baselineLabel: 'gzip -dc > /dev/null',
      checks: [
        { text: `ratio <= ${maxRatio[policy].toFixed(1)}`, test: ({ ratio }) => ratio <= maxRatio[policy] },
        { text: 'peak RSS < 300 MB', test: ({ peakRssMB }) => peakRssMB !== null && peakRssMB < 300 },
      ],
      peakRssMB: r[policy].peakRssMB,
      notes: [...(policy === 'none' ? notes : []), fastestNote(r[policy], r.gzip)],
      extra: { [policy]: r[policy], gzip: r.gzip },
    }),
  );
}
