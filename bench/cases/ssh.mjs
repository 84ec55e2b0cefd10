// doctor ssh (issue 11, "Speed"): validating the bench's server release on an SSH dev host over
// loopback against what a plain install costs: `ssh host 'mkdir -p D && tar -xzf - -C D
// --strip-components=1' < tarball`, then a start of the server until its listening line. The
// host is the sshd image of docker/sshd-image in a container with host networking; each run
// starts from an empty home (untimed), so doctor installs rather than reuses.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alternate, median, runOnce } from '../lib/measure.mjs';
import { serverTarball } from '../lib/inputs.mjs';
import { compared, fastestNote, skipped } from '../lib/report.mjs';
import { ROOT, childEnv, missingReason, toolCommand } from '../lib/tools.mjs';
import { packagedTarball } from './packager.mjs';

const TITLE = 'doctor ssh vs ssh + tar -xz + server start (loopback)';
const ID = 'doctor-ssh';
const SERVER_ARGS = '--host 127.0.0.1 --port 0 --without-connection-token --accept-server-license-terms';

function sshdImage() {
  return execFileSync('bash', [join(ROOT, 'docker', 'sshd-image', 'build.sh'), '--tag'], { encoding: 'utf8' }).trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** An sshd container on a free loopback port with a key and an ssh config alias `bench`. */
async function startHost(image) {
  const work = mkdtempSync(join(tmpdir(), 'rai-bench-ssh-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work, 'id')]);
  const port = await freePort();
  const name = `remote-ai-bench-sshd-${process.pid}`;
  const start = readFileSync(join(ROOT, 'docker', 'sshd-image', 'start-sshd.sh'), 'utf8');
  execFileSync('docker', ['run', '-d', '--name', name, '--label', 'remote-ai.tool=bench', '--network', 'host',
    '-e', `AUTHORIZED_KEY=${readFileSync(join(work, 'id.pub'), 'utf8').trim()}`, '-e', `SSHD_PORT=${port}`, image, 'sh', '-c', start], { stdio: 'ignore' });
  const config = join(work, 'config');
  writeFileSync(config, ['Host bench', '  HostName 127.0.0.1', `  Port ${port}`, '  User tester', `  IdentityFile ${join(work, 'id')}`,
    '  IdentitiesOnly yes', '  StrictHostKeyChecking no', '  UserKnownHostsFile /dev/null', '  LogLevel ERROR', ''].join('\n'));
  const stop = () => {
    try {
      execFileSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  };
  for (let i = 0; i < 100; i++) {
    const probe = await runOnce('ssh', ['-F', config, '-o', 'BatchMode=yes', 'bench', 'true'], { timeoutMs: 5_000 });
    if (probe.code === 0) return { config, name, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  stop();
  throw new Error(`the sshd container did not accept a login on 127.0.0.1:${port}`);
}

export async function ssh(ctx) {
  const missing = missingReason('doctor');
  if (missing) return skipped(ID, TITLE, missing);
  const image = sshdImage();
  const inspect = await runOnce('docker', ['image', 'inspect', image], { timeoutMs: 10_000 });
  if (inspect.code !== 0) return skipped(ID, TITLE, `no ${image} (run docker/sshd-image/build.sh)`);
  if ((await runOnce('ssh', ['-V'], { timeoutMs: 5_000 })).code !== 0) return skipped(ID, TITLE, 'no ssh client (apt-get install openssh-client)');
  const tgz = (await packagedTarball(ctx)) ?? serverTarball(ctx.log);
  const host = await startHost(image);
  try {
    const empty = () => execFileSync('docker', ['exec', host.name, 'rm', '-rf', '/home/tester/.remote-ai-server', '/home/tester/D', '/home/tester/D.log']);
    const chains = [];
    const ours = {
      name: 'ours',
      ...toolCommand('doctor', ['ssh', 'bench', tgz, '--ssh-config', host.config, '--json']),
      env: childEnv,
      keepStdout: true,
      before: empty,
      // 1 is a verdict about the release; the validation itself ran.
      ok: (res) => (res.code === 0 || res.code === 1) && res.stdout.trim().startsWith('{'),
      after: (res) => {
        try {
          chains.push(JSON.parse(res.stdout).tarballs[0].chain);
        } catch {
          chains.push(null);
        }
      },
    };
    const plain = [
      `ssh -F "$1" bench 'mkdir -p D && tar -xzf - -C D --strip-components=1' < "$2"`,
      `ssh -F "$1" bench 'D/bin/code-server-oss ${SERVER_ARGS} > D.log 2>&1 & p=$!; until grep -q "Extension host agent listening on" D.log; do kill -0 $p || exit 1; sleep 0.02; done; kill $p'`,
    ].join(' && ');
    const baseline = { name: 'plain', cmd: 'bash', args: ['-c', plain, 'plain', host.config, tgz], before: empty };
    const r = await alternate([ours, baseline], { reps: ctx.quick ? 2 : 4, rss: true, log: ctx.log });
    const steps = {};
    for (const chain of chains.slice(1)) for (const c of chain ?? []) (steps[c.step] ??= []).push(c.ms);
    const stepLine = Object.entries(steps).map(([step, ms]) => `${step} ${(median(ms) / 1000).toFixed(2)} s`).join(', ');
    return compared({
      id: ID,
      title: TITLE,
      ours: r.ours.medianMs,
      oursLabel: 'doctor ssh --json wall time: bootstrap, requirements, install, launch, tunnel, native-load, teardown',
      baseline: r.plain.medianMs,
      baselineLabel: 'ssh + tar -xzf - --strip-components=1, then ssh + server start to its listening line',
      checks: [{ text: 'ratio <= 1.5', test: ({ ratio }) => ratio !== null && ratio <= 1.5 }],
      peakRssMB: r.ours.peakRssMB,
      notes: [fastestNote(r.ours, r.plain), `doctor's steps (median): ${stepLine}`, `tarball: ${tgz}`],
      extra: { ...r, chains },
    });
  } finally {
    host.stop();
  }
}
