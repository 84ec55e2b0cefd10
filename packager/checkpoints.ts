/**
 * The points between a build's phases: where an abort (SIGINT/SIGTERM, turned into an
 * AbortSignal by the CLI) stops the build, so its `finally` blocks remove what it wrote; and
 * where the crash-safety test stops it for good.
 *
 * `REMOTE_AI_PACKAGER_PAUSE_AT=<point>` (test hook, documented in the README) makes the build
 * print `packager: paused at <point>` on stderr and wait there (until aborted), so a test can
 * SIGKILL it at exactly that instant (after a phase, or right before or after a rename) and check
 * what a crash leaves, or SIGTERM it and check the cleanup. Nothing else reads it.
 */
import { writeSync } from 'node:fs';

export type Checkpoint =
  | 'options'
  | 'staged'
  | 'gated'
  | 'packed'
  | 'manifest-written'
  | 'locked'
  | 'old-tarball-removed'
  | 'manifest-renamed'
  | 'sums-written'
  | 'sums-renamed'
  | 'tarball-renamed';

export const PAUSE_ENV = 'REMOTE_AI_PACKAGER_PAUSE_AT';

/** Points inside the publish step: it runs to its end once started (see publish.ts). */
const COMMITTING: ReadonlySet<Checkpoint> = new Set(['old-tarball-removed', 'manifest-renamed', 'sums-written', 'sums-renamed', 'tarball-renamed']);

export type Step = (point: Checkpoint) => Promise<void>;

export interface Steps extends Step {
  /** Points passed so far (a disk error names `--out` once packing began, the temp dir before). */
  readonly reached: ReadonlySet<Checkpoint>;
  /** Throws the abort reason when aborted: for loops that run long between checkpoints (packing). */
  throwIfAborted(): void;
  readonly signal: AbortSignal | undefined;
}

/** Waits until `signal` aborts (for ever without one); the event loop stays free for signal handlers. */
function pauseUntilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const keepAlive = setInterval(() => undefined, 60_000);
    signal?.addEventListener('abort', () => {
      clearInterval(keepAlive);
      resolve();
    }, { once: true });
  });
}

export function checkpoints(signal: AbortSignal | undefined, env: Readonly<Record<string, string | undefined>> | undefined): Steps {
  const pauseAt = env?.[PAUSE_ENV];
  const reached = new Set<Checkpoint>();
  const step = async (point: Checkpoint): Promise<void> => {
    reached.add(point);
    if (pauseAt === point) {
      writeSync(2, `packager: paused at ${point}\n`);
      await pauseUntilAborted(signal);
    }
    // Once publishing has begun it runs to its end: stopping between renames is what a crash does.
    if (!COMMITTING.has(point)) signal?.throwIfAborted();
  };
  return Object.assign(step, { reached, signal, throwIfAborted: () => signal?.throwIfAborted() });
}
