import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isToolError } from '../../abi-gate/index.js';
import { DEFAULT_IMAGE_REPO, ensureImage, hashFolder } from './image.js';
import { dockerGate, suiteName } from './test-support/docker-gate.js';

const gate = await dockerGate();

describe.skipIf(!gate.run)(suiteName('the boot image, built through dockerode', gate), () => {
  const { docker, client, image } = gate;
  const made: string[] = [];
  const dirs: string[] = [];

  const recipe = async (dockerfile: string): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'remote-ai-image-'));
    dirs.push(dir);
    await writeFile(join(dir, 'Dockerfile'), dockerfile);
    made.push(`${DEFAULT_IMAGE_REPO}:${hashFolder(dir)}`);
    return dir;
  };

  afterAll(async () => {
    for (const tag of made) await docker.getImage(tag).remove({ force: true }).catch(() => undefined);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('fails with the step error although the build stream itself ends normally', async () => {
    const dir = await recipe(`FROM ${image}\nRUN echo about to fail && exit 7\n`);
    const error: unknown = await ensureImage(client, { dockerfileDir: dir }).catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe('IMAGE_BUILD');
    expect((error as Error).message).toMatch(/returned a non-zero code: 7/);
    await expect(docker.getImage(`${DEFAULT_IMAGE_REPO}:${hashFolder(dir)}`).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('builds once, tags by the hash of the folder, and takes the cached image the next time', async () => {
    const dir = await recipe(`FROM ${image}\nRUN echo built > /built\n`);
    const tag = await ensureImage(client, { dockerfileDir: dir });
    expect(tag).toBe(`${DEFAULT_IMAGE_REPO}:${hashFolder(dir)}`);
    const first = await docker.getImage(tag).inspect();
    expect(await ensureImage(client, { dockerfileDir: dir })).toBe(tag);
    expect((await docker.getImage(tag).inspect()).Id).toBe(first.Id);
  });

  it('refuses an --image the engine does not have and cannot pull', async () => {
    const error: unknown = await ensureImage(client, { image: 'remote-ai-test/never-built:none' }).catch((e: unknown) => e);
    expect(isToolError(error) && error.code).toBe('IMAGE_MISSING');
    expect((error as Error).message).toMatch(/^image remote-ai-test\/never-built:none is not in the engine and could not be pulled: /);
  });
});
