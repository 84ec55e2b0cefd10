import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootTarball } from './boot/boot.js';
import { BootContainer, LABEL_RUN, newRunId } from './boot/container.js';
import { bootId, processStart, type Owner } from './boot/owner.js';
import { dockerGate, suiteName } from './boot/test-support/docker-gate.js';
import { buildFixtureTarball, COMMIT, removeFixtureTarballs } from './boot/test-support/fixture-server.js';
import { gc } from './gc.js';

const gate = await dockerGate();

describe.skipIf(!gate.run)(suiteName('doctor gc', gate), () => {
  const { docker, image, node } = gate;
  // Every gc here is limited to this file's containers: other runs share the engine, and a test
  // of gc must not sweep them (that is the bug it guards against).
  const mark = `gc-test-${newRunId()}`;
  const scope = { docker, labels: [`remote-ai.test=${mark}`] };
  const labels = { 'remote-ai.test': mark };
  const sleepers: ReturnType<typeof spawn>[] = [];
  let tarball = '';

  beforeAll(async () => {
    tarball = await buildFixtureTarball(node, ['glibc-2.2.5']);
  });
  afterAll(async () => {
    for (const s of sleepers) s.kill('SIGKILL');
    await gc({ ...scope, all: true });
    await removeFixtureTarballs();
  });

  const liveOwner = (): Owner => {
    const child = spawn('sleep', ['120']);
    sleepers.push(child);
    const pid = child.pid ?? expect.fail('no pid');
    return { host: hostname(), boot: bootId(), pid, start: processStart(pid) };
  };
  const deadOwner = (): Owner => {
    const stat = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("fs").readFileSync("/proc/self/stat","utf8"))']).stdout.toString();
    return { host: hostname(), boot: bootId(), pid: Number(stat.split(' ')[0]), start: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null };
  };

  it("removes a dead run's containers, keeps a live run's, leaves other containers alone; --all forces", async () => {
    // Created and never disposed: what a boot killed with SIGKILL leaves behind.
    const leftover = await BootContainer.create(docker, { image, runId: newRunId(), labels, owner: deadOwner() });
    const live = await BootContainer.create(docker, { image, runId: newRunId(), labels, owner: liveOwner() });
    const stranger = await docker.createContainer({ Image: image, Cmd: ['true'], Labels: { 'remote-ai.test': mark } });
    try {
      const result = await gc(scope);
      expect(result.removed.map((r) => r.id)).toEqual([leftover.id]);
      expect(result.removed[0]).toMatchObject({ runId: leftover.runId, state: 'running', why: expect.stringMatching(/^process \d+ has exited/) });
      expect(result.kept).toEqual([{ id: live.id, runId: live.runId, state: 'running', why: expect.stringMatching(/^process \d+ is running$/) }]);
      expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL_RUN}=${leftover.runId}`] } })).toEqual([]);
      expect((await live.container.inspect()).State.Running).toBe(true);
      expect((await stranger.inspect()).Id).toBe(stranger.id);

      const forced = await gc({ ...scope, all: true });
      expect(forced.removed.map((r) => r.id)).toEqual([live.id]);
      expect(forced.removed[0]?.why).toMatch(/^--all \(process \d+ is running\)$/);
      expect((await stranger.inspect()).Id).toBe(stranger.id);
    } finally {
      await stranger.remove({ force: true });
      await leftover[Symbol.asyncDispose]();
      await live[Symbol.asyncDispose]();
    }
  });

  it("runs during another run's boot, keeps its container, and the boot succeeds", async () => {
    const runId = newRunId();
    const booting = bootTarball(tarball, { docker, image, runId, labels, startTimeoutMs: 30_000 });
    const filter = { all: true, filters: { label: [`${LABEL_RUN}=${runId}`] } };
    let running = false;
    for (let i = 0; i < 300 && !running; i++) {
      running = (await docker.listContainers(filter)).some((c) => c.State === 'running');
      if (!running) await new Promise((r) => setTimeout(r, 50));
    }
    expect(running).toBe(true);
    const swept = await gc(scope);
    expect(swept.removed).toEqual([]);
    expect(swept.kept.map((k) => k.runId)).toEqual([runId]);
    const result = await booting;
    expect(result.checks.find((c) => c.id === 'boot')).toMatchObject({ ok: true });
    expect(result.probe).toEqual({ ok: true, status: 200, body: COMMIT });
    expect(await docker.listContainers(filter)).toEqual([]);
  });
});
