import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import createDebug from 'debug';
import { ToolError } from '../../abi-gate/index.js';
import { reason } from './engine.js';

const debug = createDebug('remote-ai:doctor:image');

export const DEFAULT_IMAGE_REPO = 'remote-ai/centos7';

/** The toolkit's own folder (holding `docker/`), found from here both in the sources and in `dist/`. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'docker', 'centos7', 'Dockerfile'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new ToolError('IMAGE_RECIPE_MISSING', 'docker/centos7/Dockerfile not found above the doctor install', {
        hint: 'reinstall the toolkit, or pass --image <ref>',
      });
    }
    dir = parent;
  }
}

/** `docker/centos7/`: the recipe of the default boot image. */
export function defaultDockerfileDir(): string {
  return join(packageRoot(), 'docker', 'centos7');
}

function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (at: string): void => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return files;
}

/**
 * The tag docker/test-image/build.sh gives the local Debian bullseye image (glibc 2.31): the first
 * 12 hex of the script's own sha256, so a changed recipe means a new image.
 */
export function testImageTag(root = packageRoot()): string {
  const hash = createHash('sha256').update(readFileSync(join(root, 'docker', 'test-image', 'build.sh'))).digest('hex');
  return `remote-ai-test/bullseye:${hash.slice(0, 12)}`;
}

/** Content address of a build context: names and bytes of every file, in sorted order. */
export function hashFolder(dir: string): string {
  const hash = createHash('sha256');
  for (const file of listFiles(dir)) {
    hash.update(file).update('\0').update(readFileSync(join(dir, file))).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

interface BuildEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Builds `dir` into `tag`. The engine reports a failed RUN step inside a 200 response, and
 * dockerode's followProgress calls its callback without an error: only an `error` or
 * `errorDetail` event says the build failed, so every event is read here.
 */
export async function buildImage(docker: Docker, dir: string, tag: string): Promise<void> {
  const stream = await docker.buildImage({ context: dir, src: listFiles(dir) }, { t: tag, rm: true, forcerm: true });
  const tail: string[] = [];
  let failure: string | undefined;
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null) => (error === null ? resolve() : reject(error)),
      (event: BuildEvent) => {
        if (event.stream !== undefined) {
          for (const line of event.stream.split('\n')) if (line.trim() !== '') tail.push(line.trimEnd());
          tail.splice(0, Math.max(0, tail.length - 10));
          debug('%s', event.stream.trimEnd());
        }
        const message = event.errorDetail?.message ?? event.error;
        if (message !== undefined) failure ??= message;
      },
    );
  });
  if (failure !== undefined) {
    throw new ToolError('IMAGE_BUILD', `docker build of ${dir} failed: ${failure.trim()}`, {
      hint: `last build output: ${tail.slice(-3).join(' | ')}`,
      exitCode: 2,
    });
  }
}

export interface ImageChoice {
  /** Any image reference; when absent the CentOS 7 image is built from docker/centos7. */
  image?: string;
  dockerfileDir?: string;
}

/** The image a boot runs in, built or pulled once and then taken from the engine's cache. */
export async function ensureImage(docker: Docker, choice: ImageChoice = {}): Promise<string> {
  if (choice.image !== undefined) {
    if (await imageExists(docker, choice.image)) return choice.image;
    try {
      await new Promise<void>((resolve, reject) => {
        docker.pull(choice.image ?? '', (error: Error | null, stream: NodeJS.ReadableStream) => {
          if (error !== null) return reject(error);
          docker.modem.followProgress(stream, (e: Error | null) => (e === null ? resolve() : reject(e)));
        });
      });
    } catch (error) {
      throw new ToolError('IMAGE_MISSING', `image ${choice.image} is not in the engine and could not be pulled: ${reason(error)}`, {
        hint: 'build or pull it first, or omit --image to use the CentOS 7 image',
      });
    }
    return choice.image;
  }
  const dir = choice.dockerfileDir ?? defaultDockerfileDir();
  const tag = `${DEFAULT_IMAGE_REPO}:${hashFolder(dir)}`;
  if (await imageExists(docker, tag)) return tag;
  debug('building %s from %s', tag, dir);
  await buildImage(docker, dir, tag);
  return tag;
}
