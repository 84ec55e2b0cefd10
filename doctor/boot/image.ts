import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import createDebug from 'debug';
import { ToolError } from '../../abi-gate/index.js';
import type { DockerClient } from './docker-client.js';
import { reason } from './engine.js';
import { checkImageRef } from './image-ref.js';

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
 * The tag a local image script (`docker/<folder>/build.sh`) gives its image, asked of the script
 * (`--tag`, which builds nothing): the tag is a hash of the recipe, and the recipe's shell
 * (docker/test-image/debootstrap-image.sh) is the only place that computes it.
 */
export function localImageTag(folder: 'test-image' | 'sshd-image', root = packageRoot()): string {
  return execFileSync('bash', [join(root, 'docker', folder, 'build.sh'), '--tag'], { encoding: 'utf8' }).trim();
}

/** The local Debian bullseye image (glibc 2.31) of docker/test-image/build.sh. */
export function testImageTag(root = packageRoot()): string {
  return localImageTag('test-image', root);
}

/** Content address of a build context: names and bytes of every file, in sorted order. */
export function hashFolder(dir: string): string {
  const hash = createHash('sha256');
  for (const file of listFiles(dir)) {
    hash.update(file).update('\0').update(readFileSync(join(dir, file))).update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}

export async function imageExists(docker: DockerClient, ref: string): Promise<boolean> {
  return docker.imageExists(ref);
}

/** Builds `dir` into `tag`; a failed step is a ToolError (exit 2) with the last lines of output. */
export async function buildImage(docker: DockerClient, dir: string, tag: string, signal?: AbortSignal): Promise<void> {
  const tail: string[] = [];
  try {
    await docker.buildImage(dir, listFiles(dir), tag, {
      ...(signal === undefined ? {} : { signal }),
      onOutput: (line) => {
        debug('%s', line);
        tail.push(line);
        tail.splice(0, Math.max(0, tail.length - 10));
      },
    });
  } catch (error) {
    signal?.throwIfAborted();
    throw new ToolError('IMAGE_BUILD', `docker build of ${dir} failed: ${reason(error)}`, {
      hint: `${buildHint(dir, tag)}; last build output: ${tail.slice(-3).join(' | ') || 'none'}`,
      exitCode: 2,
      cause: error,
    });
  }
}

/** What to do when the default image cannot be had: another image, or build this one elsewhere. */
function buildHint(dir: string, tag: string): string {
  return (
    `boot in an image the engine already has with --image <ref> (docker/test-image/build.sh makes a Debian one without a registry), ` +
    `or build this one where its base image can be pulled: docker build -t ${tag} ${dir}`
  );
}

export interface ImageChoice {
  /** Any image reference; when absent the CentOS 7 image is built from docker/centos7. */
  image?: string;
  dockerfileDir?: string;
  signal?: AbortSignal;
}

/** The image a boot runs in, built or pulled once and then taken from the engine's cache. */
export async function ensureImage(docker: DockerClient, choice: ImageChoice = {}): Promise<string> {
  if (choice.image !== undefined) {
    const ref = checkImageRef(choice.image);
    if (await docker.imageExists(ref)) return ref;
    try {
      await docker.pullImage(ref, choice.signal === undefined ? {} : { signal: choice.signal });
    } catch (error) {
      choice.signal?.throwIfAborted();
      throw new ToolError('IMAGE_MISSING', `image ${ref} is not in the engine and could not be pulled: ${reason(error)}`, {
        hint: 'build or load it into the engine first (docker/test-image/build.sh makes a Debian one), or omit --image to build the CentOS 7 image',
        exitCode: 2,
        cause: error,
      });
    }
    return ref;
  }
  const dir = choice.dockerfileDir ?? defaultDockerfileDir();
  const tag = `${DEFAULT_IMAGE_REPO}:${hashFolder(dir)}`;
  if (await docker.imageExists(tag)) return tag;
  debug('building %s from %s', tag, dir);
  await buildImage(docker, dir, tag, choice.signal);
  return tag;
}
