import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// In a fresh node (this process may have loaded ssh2 or gRPC already): the built module.
const BUILT = join(import.meta.dirname, '..', '..', 'dist', 'doctor', 'boot', 'dockerode-load.js');

function inFreshNode(body: string): { loaded: string[]; result: string } {
  const script = `
    const { loadDockerode } = await import(${JSON.stringify(BUILT)});
    const { createRequire } = await import('node:module');
    const Dockerode = loadDockerode();
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => /node_modules\\/(ssh2|@grpc)\\//.test(k)).map((k) => k.replace(/.*node_modules\\//, '').split('/')[0]);
    const before = [...new Set(loaded())];
    ${body}
    console.log(JSON.stringify({ loaded: before, result }));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { loaded: string[]; result: string };
}

describe.skipIf(!existsSync(BUILT) && process.env['CI'] !== 'true')('dockerode without its start-up weight (skipped when not built: run `npm run build`)', () => {
  it('loads without ssh2 or gRPC, and an ssh:// engine still gets the real ssh2 when it connects', () => {
    const { loaded, result } = inFreshNode(`
      // Nothing listens on port 1: the real ssh2 client must be the one that fails to connect.
      const docker = new Dockerode({ protocol: 'ssh', host: '127.0.0.1', port: 1, username: 'nobody', sshOptions: { readyTimeout: 5000 } });
      const result = await docker.ping().then(() => 'answered', (error) => String(error.code ?? error.message));
    `);
    expect(loaded).toEqual([]);
    expect(result).toBe('ECONNREFUSED');
  });
});
