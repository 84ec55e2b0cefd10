/**
 * `doctor gc`: removes the containers a crashed or killed boot left behind, found by label, so a
 * run that died before its cleanup (kill -9, a lost engine connection) costs nothing afterwards.
 * Only containers whose owning run is gone are removed (see boot/owner.ts): another job's boot on
 * the same engine keeps its container. `all` removes every one, live or not.
 */
import type Docker from 'dockerode';
import createDebug from 'debug';
import { LABEL_RUN, LABEL_TOOL, TOOL_NAME } from './boot/container.js';
import { connectEngine } from './boot/engine.js';
import { currentOwner, judgeOwner, type Owner } from './boot/owner.js';

const debug = createDebug('remote-ai:doctor:gc');

export interface GcOptions {
  docker?: Docker;
  /** Only this run's containers; default: every container doctor made. */
  runId?: string;
  /** Only containers that also carry these labels (`key=value` or `key`). */
  labels?: string[];
  /** Remove live runs' containers too. */
  all?: boolean;
  /** Who is asking; default this process (tests pass another to see from elsewhere). */
  self?: Owner;
  now?: Date;
}

export interface GcResult {
  removed: { id: string; runId: string | null; state: string; why: string }[];
  /** Containers of runs that are still alive, left running. */
  kept: { id: string; runId: string | null; state: string; why: string }[];
  failed: { id: string; error: string }[];
}

export async function gc(options: GcOptions = {}): Promise<GcResult> {
  const docker = options.docker ?? (await connectEngine());
  const labels = [`${LABEL_TOOL}=${TOOL_NAME}`, ...(options.labels ?? [])];
  if (options.runId !== undefined) labels.push(`${LABEL_RUN}=${options.runId}`);
  const containers = await docker.listContainers({ all: true, filters: { label: labels } });
  const self = options.self ?? currentOwner();
  const now = options.now ?? new Date();
  const result: GcResult = { removed: [], kept: [], failed: [] };
  await Promise.all(
    containers.map(async (info) => {
      const runId = info.Labels[LABEL_RUN] ?? null;
      const owner = judgeOwner({ labels: info.Labels, created: info.Created }, self, now);
      if (owner.alive && options.all !== true) {
        result.kept.push({ id: info.Id, runId, state: info.State, why: owner.why });
        debug('kept %s: %s', info.Id.slice(0, 12), owner.why);
        return;
      }
      const why = owner.alive ? `--all (${owner.why})` : owner.why;
      try {
        await docker.getContainer(info.Id).remove({ force: true, v: true });
        result.removed.push({ id: info.Id, runId, state: info.State, why });
        debug('removed %s (%s): %s', info.Id.slice(0, 12), info.State, why);
      } catch (error) {
        const status = (error as { statusCode?: number }).statusCode;
        if (status === 404) return;
        result.failed.push({ id: info.Id, error: error instanceof Error ? error.message : String(error) });
      }
    }),
  );
  return result;
}
