import type Docker from 'dockerode';
import type { DockerClient } from '../docker-client.js';
import { dockerClient } from '../dockerode-client.js';
import { probeEngine } from '../engine.js';
import { packageRoot, testImageTag } from '../image.js';
import { corpusNode } from '../linux-node.js';

export const ROOT = packageRoot();


export type DockerGate =
  /** `client` is what the boot code takes; `docker` lets tests look at the engine independently. */
  | { run: true; docker: Docker; client: DockerClient; image: string; node: string }
  | { run: false; reason: string };

/**
 * Whether the Docker tests can run here. Outside CI a missing engine, image or node skips them
 * with the reason in the suite's name; under CI=true they must run, so the gate throws instead.
 */
export async function dockerGate(): Promise<DockerGate> {
  const ci = process.env['CI'] === 'true';
  const refuse = (reason: string): DockerGate => {
    if (ci) throw new Error(`CI=true but the Docker tests cannot run: ${reason}`);
    console.warn(`skipping Docker tests: ${reason}`);
    return { run: false, reason };
  };
  const engine = await probeEngine({ pingTimeoutMs: 3_000 });
  if (!engine.ok) return refuse(engine.reason);
  const image = testImageTag();
  try {
    await engine.docker.getImage(image).inspect();
  } catch {
    return refuse(`image ${image} missing (run docker/test-image/build.sh)`);
  }
  const node = corpusNode(ROOT);
  if (node === null) return refuse('no Linux node in .cache/corpus (run npm run corpus)');
  return { run: true, docker: engine.docker, client: dockerClient(engine.docker), image, node };
}

export function suiteName(name: string, gate: DockerGate): string {
  return gate.run ? name : `${name} (skipped: ${gate.reason})`;
}
