/**
 * `doctor gc`: removes the containers a crashed or killed boot left behind, found by label, so a
 * run that died before its cleanup (kill -9, a lost engine connection) costs nothing afterwards.
 */
import type Docker from 'dockerode';
import createDebug from 'debug';
import { LABEL_RUN, LABEL_TOOL, TOOL_NAME } from './boot/container.js';
import { connectEngine } from './boot/engine.js';

const debug = createDebug('remote-ai:doctor:gc');

export interface GcOptions {
  docker?: Docker;
  /** Only this run's containers; default: every container doctor made. */
  runId?: string;
}

export interface GcResult {
  removed: { id: string; runId: string | null; state: string }[];
  failed: { id: string; error: string }[];
}

export async function gc(options: GcOptions = {}): Promise<GcResult> {
  const docker = options.docker ?? (await connectEngine());
  const labels = [`${LABEL_TOOL}=${TOOL_NAME}`];
  if (options.runId !== undefined) labels.push(`${LABEL_RUN}=${options.runId}`);
  const containers = await docker.listContainers({ all: true, filters: { label: labels } });
  const result: GcResult = { removed: [], failed: [] };
  await Promise.all(
    containers.map(async (info) => {
      try {
        await docker.getContainer(info.Id).remove({ force: true, v: true });
        result.removed.push({ id: info.Id, runId: info.Labels[LABEL_RUN] ?? null, state: info.State });
        debug('removed %s (%s)', info.Id.slice(0, 12), info.State);
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 404) return;
        result.failed.push({ id: info.Id, error: error instanceof Error ? error.message : String(error) });
      }
    }),
  );
  return result;
}
