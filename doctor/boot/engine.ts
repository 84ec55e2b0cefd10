import type Docker from 'dockerode';
import createDebug from 'debug';
import { ToolError } from '../../abi-gate/index.js';
import type { DockerClient } from './docker-client.js';
import { dockerClient } from './dockerode-client.js';
import { loadDockerode } from './dockerode-load.js';

const debug = createDebug('remote-ai:doctor:docker');

export interface EngineOptions {
  /** How long the engine may take to answer a ping before we call it unreachable. */
  pingTimeoutMs?: number;
}

/** Where dockerode will connect: DOCKER_HOST when set (docker-modem reads it), else the default socket. */
export function engineAddress(): string {
  return process.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock';
}

/**
 * A dockerode client that has answered a ping. Throws one line (exit 2) when no engine answers,
 * so a CLI run without Docker fails before any work and says where it looked.
 */
export async function connectEngine(options: EngineOptions = {}): Promise<Docker> {
  const Dockerode = loadDockerode();
  const docker = new Dockerode();
  const timeoutMs = options.pingTimeoutMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (error) {
    throw new ToolError('DOCKER_UNREACHABLE', `no Docker engine answers at ${engineAddress()}: ${reason(error)}`, {
      hint: 'start the engine (dockerd) or point DOCKER_HOST at one',
      exitCode: 2,
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
  debug('engine answers at %s', engineAddress());
  return docker;
}

/** The engine behind the boot's own interface (see docker-client.ts). */
export async function connectClient(options: EngineOptions = {}): Promise<DockerClient> {
  return dockerClient(await connectEngine(options), engineAddress());
}

/** The same question without throwing: tests and the demo skip with this reason. */
export async function probeEngine(
  options: EngineOptions = {},
): Promise<{ ok: true; docker: Docker; client: DockerClient } | { ok: false; reason: string }> {
  try {
    const docker = await connectEngine(options);
    return { ok: true, docker, client: dockerClient(docker, engineAddress()) };
  } catch (error) {
    return { ok: false, reason: error instanceof ToolError ? error.message : reason(error) };
  }
}

export function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
