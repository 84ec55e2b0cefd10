/** Shared set-up of the harness's test files: a workspace removed afterwards, and the root requirement. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { workspace, type Workspace } from './run-case.js';

/** Installing as root and as nobody (setpriv) needs root; CI runs as root, so there it must run. */
export const CAN_RUN = process.getuid?.() === 0 || process.env.CI === 'true';
export const SKIP_REASON = 'the differential harness installs as root and as nobody: run it as root';

export function useWorkspace(): () => Workspace {
  let ws: Workspace | null = null;
  beforeAll(async () => {
    ws = await workspace(await mkdtemp(join(tmpdir(), 'differential-')));
  });
  afterAll(async () => {
    if (ws !== null) await rm(ws.dir, { recursive: true, force: true });
  });
  return () => {
    if (ws === null) throw new Error('workspace not set up');
    return ws;
  };
}

/** One line per extractor that installed something else than doctor saw. */
export function describeDifferences(differences: Record<string, string[]>): string {
  return Object.entries(differences)
    .filter(([, d]) => d.length > 0)
    .map(([installer, d]) => `${installer}: ${d.join('; ')}`)
    .join('\n');
}
