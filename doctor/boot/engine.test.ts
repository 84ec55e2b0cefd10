import { afterEach, describe, expect, it } from 'vitest';
import { isToolError } from '../../abi-gate/index.js';
import { connectEngine, probeEngine } from './engine.js';

describe('connectEngine', () => {
  const saved = process.env['DOCKER_HOST'];
  afterEach(() => {
    if (saved === undefined) delete process.env['DOCKER_HOST'];
    else process.env['DOCKER_HOST'] = saved;
  });

  it('fails in one line naming DOCKER_HOST when no engine answers there (exit 2)', async () => {
    process.env['DOCKER_HOST'] = 'unix:///tmp/remote-ai-no-engine-here.sock';
    const error: unknown = await connectEngine({ pingTimeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(isToolError(error)).toBe(true);
    if (!isToolError(error)) return;
    expect(error.code).toBe('DOCKER_UNREACHABLE');
    expect(error.exitCode).toBe(2);
    expect(error.toLine()).toMatch(/^no Docker engine answers at unix:\/\/\/tmp\/remote-ai-no-engine-here\.sock: .*ENOENT.* \(start the engine \(dockerd\) or point DOCKER_HOST at one\)$/);
    expect(error.toLine()).not.toContain('\n');
  });

  it('reports the same reason without throwing for callers that skip', async () => {
    process.env['DOCKER_HOST'] = 'unix:///tmp/remote-ai-no-engine-here.sock';
    const probe = await probeEngine({ pingTimeoutMs: 2_000 });
    expect(probe).toMatchObject({ ok: false, reason: expect.stringMatching(/^no Docker engine answers at unix:\/\/\/tmp\//) });
  });
});
