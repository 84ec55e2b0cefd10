import type Docker from 'dockerode';
import { probeEngine } from '../engine.js';
import { packageRoot, testImageTag } from '../image.js';
import { corpusNode } from '../linux-node.js';

export const ROOT = packageRoot();


/**
 * Skipped or not, a gate has the same fields, so a Docker suite registers all its tests either
 * way and a run without an engine counts them as skipped (with the reason) rather than as zero
 * tests. When skipped, `docker` throws on use and `image`/`node` are empty: no test body runs.
 */
export type DockerGate =
  | { run: true; docker: Docker; image: string; node: string }
  | { run: false; reason: string; docker: Docker; image: string; node: string };

/** A gate that skips for `reason`: its tests register, none runs. */
export function skippedGate(reason: string): DockerGate {
  const docker = new Proxy({} as Docker, {
    get: (_target, key) => {
      throw new Error(`Docker tests are skipped (${reason}): docker.${String(key)} was used outside a test`);
    },
  });
  return { run: false, reason, docker, image: '', node: '' };
}

/**
 * Whether the Docker tests can run here. Outside CI a missing engine, image or node skips them
 * with the reason in the suite's name; under CI=true they must run, so the gate throws instead.
 */
export async function dockerGate(): Promise<DockerGate> {
  const ci = process.env['CI'] === 'true';
  const refuse = (reason: string): DockerGate => {
    if (ci) throw new Error(`CI=true but the Docker tests cannot run: ${reason}`);
    console.warn(`skipping Docker tests: ${reason}`);
    return skippedGate(reason);
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
  return { run: true, docker: engine.docker, image, node };
}

export function suiteName(name: string, gate: DockerGate): string {
  return gate.run ? name : `${name} (skipped: ${gate.reason})`;
}
