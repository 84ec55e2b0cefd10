import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_OWNER_PID } from './owner.js';
import { dockerGate, ROOT, skippedGate, suiteName, type DockerGate } from './test-support/docker-gate.js';
import { removeFixtureTarballs, buildFixtureTarball } from './test-support/fixture-server.js';

// A real process gets the signal, so this runs the compiled CLI (npm test builds first): the CLI
// owns the signals, the library only hears an AbortSignal.
const BIN = join(ROOT, 'dist', 'doctor', 'bin.js');
const docker = await dockerGate();
const gate: DockerGate =
  docker.run && !existsSync(BIN)
    ? process.env['CI'] === 'true'
      ? (() => { throw new Error(`CI=true but ${BIN} is missing: run npm run build`); })()
      : skippedGate(`${BIN} missing (npm run build)`)
    : docker;

describe.skipIf(!gate.run)(suiteName('doctor boot cleanup on signals', gate), () => {
  let tarball = '';
  afterAll(removeFixtureTarballs);
  beforeAll(async () => {
    tarball = await buildFixtureTarball(gate.node, ['glibc-2.2.5']);
  });

  for (const [signal, command] of [
    ['SIGINT', ['boot']],
    ['SIGTERM', ['verify', '--boot', '--policy', 'none']],
  ] as const) {
    it(`doctor ${command.join(' ')}: removes the container when the process gets ${signal} mid-boot, then dies of that signal`, async () => {
      // A socket path: the server never prints a port, so the boot waits until the signal comes.
      const args = [BIN, ...command, tarball, '--image', gate.image, '--server-arg=--socket-path', '--server-arg=/tmp/s.sock', '--boot-timeout', '120'];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<NodeJS.Signals | string>((resolve) => child.on('exit', (code, sig) => resolve(sig ?? `exit ${code}: ${stderr}`)));
      // The container records its owner: this child's pid.
      const filter = { all: true, filters: { label: [`${LABEL_OWNER_PID}=${child.pid}`] } };
      let running = false;
      for (let i = 0; i < 300 && !running; i++) {
        const list = await gate.docker.listContainers(filter);
        running = list.some((c) => c.State === 'running');
        if (!running) await new Promise((r) => setTimeout(r, 100));
      }
      expect(running).toBe(true);
      child.kill(signal);
      expect(await exited).toBe(signal);
      expect(await gate.docker.listContainers(filter)).toEqual([]);
    });
  }
});
