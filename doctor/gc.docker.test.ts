import { describe, expect, it } from 'vitest';
import { BootContainer, LABEL_RUN, newRunId } from './boot/container.js';
import { dockerGate, suiteName } from './boot/test-support/docker-gate.js';
import { gc } from './gc.js';

const gate = await dockerGate();

describe.skipIf(!gate.run)(suiteName('doctor gc', gate), () => {
  if (!gate.run) return;
  const { docker, image } = gate;

  it("removes a run's leftover containers by label and leaves other containers alone", async () => {
    const runId = newRunId();
    // Created and never disposed: what a boot killed with SIGKILL leaves behind.
    const leftover = await BootContainer.create(docker, { image, runId });
    const stranger = await docker.createContainer({ Image: image, Cmd: ['true'], Labels: { 'remote-ai.test': 'stranger' } });
    try {
      const result = await gc({ docker, runId });
      expect(result.removed.map((r) => r.id)).toEqual([leftover.id]);
      expect(result.removed[0]).toMatchObject({ runId, state: 'running' });
      expect(await docker.listContainers({ all: true, filters: { label: [`${LABEL_RUN}=${runId}`] } })).toEqual([]);
      expect((await stranger.inspect()).Id).toBe(stranger.id);
    } finally {
      await stranger.remove({ force: true });
      await leftover[Symbol.asyncDispose]();
    }
  });
});
