import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL_RUN, newRunId } from './container.js';
import { dockerGate, ROOT, skippedGate, suiteName, type DockerGate } from './test-support/docker-gate.js';
import { removeFixtureTarballs, buildFixtureTarball } from './test-support/fixture-server.js';

// A real process gets the signal, so this runs the compiled library (npm test builds first).
const DIST = join(ROOT, 'dist', 'doctor', 'boot', 'index.js');
const docker = await dockerGate();
const gate: DockerGate =
  docker.run && !existsSync(DIST)
    ? process.env['CI'] === 'true'
      ? (() => { throw new Error(`CI=true but ${DIST} is missing: run npm run build`); })()
      : skippedGate(`${DIST} missing (npm run build)`)
    : docker;

describe.skipIf(!gate.run)(suiteName('doctor boot cleanup on signals', gate), () => {
  let tarball = '';
  afterAll(removeFixtureTarballs);
  beforeAll(async () => {
    tarball = await buildFixtureTarball(gate.node, ['glibc-2.2.5']);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`removes the container when the process gets ${signal} mid-boot, then dies of that signal`, async () => {
      const runId = newRunId();
      // A socket path: the server never prints a port, so the boot waits until the signal comes.
      const script = `
        const { bootTarball } = await import(${JSON.stringify(DIST)});
        await bootTarball(${JSON.stringify(tarball)}, { image: ${JSON.stringify(gate.image)}, runId: ${JSON.stringify(runId)},
          serverArgs: ['--socket-path', '/tmp/s.sock'], startTimeoutMs: 120000 });`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<NodeJS.Signals | string>((resolve) => child.on('exit', (code, sig) => resolve(sig ?? `exit ${code}: ${stderr}`)));
      const filter = { all: true, filters: { label: [`${LABEL_RUN}=${runId}`] } };
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
