/**
 * A real SSH dev host for the tests: the image from docker/sshd-image (Debian bullseye with
 * openssh-server) in a container with host networking, sshd on a free loopback port, a user and
 * a key pair made for this run, and an ssh config whose aliases point at it. Only 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { LABEL_RUN, corpusNode, execIn, localImageTag, newRunId, packageRoot, probeEngine } from '../../boot/index.js';
import { ROOT, skippedGate, type DockerGate } from '../../boot/test-support/docker-gate.js';

/** The compiled CLI: the signal cases run it as a real process (npm test builds first). */
export const CLI_BIN = join(ROOT, 'dist', 'doctor', 'bin.js');

export const SSH_USER = 'tester';
/** Marks the test's own containers (the run label is doctor boot's, so `doctor gc --run` finds them). */
export const LABEL_SSH_TEST = 'remote-ai.ssh-test';

export function sshdImageTag(root = packageRoot()): string {
  return localImageTag('sshd-image', root);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** True once sshd sends its identification string on the port. */
function banner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('data', (d: Buffer) => done(d.toString('latin1').startsWith('SSH-2.0-')));
    socket.once('error', () => done(false));
  });
}

/** Made in the container at start (user, key, host keys, sshd): one script for tests and bench. */
const START_SSHD = readFileSync(join(packageRoot(), 'docker', 'sshd-image', 'start-sshd.sh'), 'utf8');

export interface SshdHost extends AsyncDisposable {
  port: number;
  container: Docker.Container;
  runId: string;
  /** ssh config with the aliases `rai-dev` (the right key) and `rai-dev-wrongkey`. */
  configFile: string;
  /** Runs a shell command in the container as root; returns stdout. */
  sh(command: string): Promise<string>;
  /** sshd's own log (stderr with -e): what it said about logins. */
  logs(): Promise<string>;
}

export async function startSshd(docker: Docker, image = sshdImageTag()): Promise<SshdHost> {
  const work = await mkdtemp(join(tmpdir(), 'rai-sshd-'));
  for (const name of ['id', 'wrong']) {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `doctor-ssh-test-${name}`, '-f', join(work, name)]);
  }
  const port = await freePort();
  const runId = newRunId();
  const container = await docker.createContainer({
    Image: image,
    Cmd: ['sh', '-c', START_SSHD],
    Env: [`AUTHORIZED_KEY=${(await readFile(join(work, 'id.pub'), 'utf8')).trim()}`, `SSHD_PORT=${port}`],
    Labels: { [LABEL_SSH_TEST]: 'sshd', [LABEL_RUN]: runId },
    HostConfig: { NetworkMode: 'host', AutoRemove: false },
  });
  await container.start();
  const alias = (name: string, key: string): string =>
    [`Host ${name}`, '  HostName 127.0.0.1', `  Port ${port}`, `  User ${SSH_USER}`, `  IdentityFile ${join(work, key)}`,
      '  IdentitiesOnly yes', '  StrictHostKeyChecking no', '  UserKnownHostsFile /dev/null', '  LogLevel ERROR', ''].join('\n');
  const configFile = join(work, 'config');
  await writeFile(configFile, alias('rai-dev', 'id') + alias('rai-dev-wrongkey', 'wrong'), { mode: 0o600 });
  const logs = async (): Promise<string> => (await container.logs({ stdout: true, stderr: true, follow: false })).toString('latin1');
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    up = await banner(port);
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) {
    const said = await logs().catch(() => '');
    await container.remove({ force: true }).catch(() => undefined);
    throw new Error(`sshd did not answer on 127.0.0.1:${port} within 10 s: ${said}`);
  }
  return {
    port,
    container,
    runId,
    configFile,
    logs,
    async sh(command) {
      const result = await execIn(container, ['sh', '-c', command]);
      return result.stdout;
    },
    async [Symbol.asyncDispose]() {
      await container.remove({ force: true }).catch(() => undefined);
      await rm(work, { recursive: true, force: true });
    },
  };
}

/**
 * Whether the doctor ssh tests can run: an ssh client, an engine, the sshd image, a Linux node
 * for the releases and the built CLI (the signal cases run it as a real process). Shaped like
 * doctor boot's gate, so a skipped suite still registers its tests, with the reason in its name;
 * under CI=true a missing piece is an error instead.
 */
export async function sshGate(): Promise<DockerGate> {
  const ci = process.env['CI'] === 'true';
  const refuse = (reason: string): DockerGate => {
    if (ci) throw new Error(`CI=true but the doctor ssh tests cannot run: ${reason}`);
    console.warn(`skipping doctor ssh tests: ${reason}`);
    return skippedGate(reason);
  };
  try {
    execFileSync('ssh', ['-V'], { stdio: 'ignore' });
  } catch {
    return refuse('no ssh client (apt-get install openssh-client)');
  }
  const engine = await probeEngine({ pingTimeoutMs: 3_000 });
  if (!engine.ok) return refuse(engine.reason);
  const image = sshdImageTag();
  try {
    await engine.docker.getImage(image).inspect();
  } catch {
    return refuse(`image ${image} missing (run docker/sshd-image/build.sh)`);
  }
  const node = corpusNode(ROOT);
  if (node === null) return refuse('no Linux node in .cache/corpus (run npm run corpus)');
  if (!existsSync(CLI_BIN)) return refuse(`${CLI_BIN} missing (npm run build)`);
  return { run: true, docker: engine.docker, client: engine.client, image, node };
}
