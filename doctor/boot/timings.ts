/**
 * When each phase of a boot ran, from one origin, so overlapping phases read as a timeline:
 * `npm run bench` prints them beside the bare run's phases.
 */

/** The steps of a boot (and of the verify that shares its read), in the order they start. */
export type BootPhase =
  | 'verify'
  | 'image'
  | 'container'
  | 'install'
  | 'runtime'
  | 'server'
  | 'native'
  | 'host-check'
  | 'probe'
  | 'stop'
  | 'teardown';

export interface PhaseSpan {
  /** Milliseconds from the origin (the start of the boot, or of verify --boot's pass). */
  startMs: number;
  ms: number;
}

export interface BootTimings {
  totalMs: number;
  /** Building (or pulling) the image; near zero once it is cached. */
  prepareMs: number;
  /** From starting the launcher to its listening line: the server's own start-up. */
  serverStartMs: number;
  /** Everything else a boot costs: container, install, probes, loads, removal. */
  overheadMs: number;
  /** Each phase's span; they overlap, so they do not add up to totalMs. */
  phases: Partial<Record<BootPhase, PhaseSpan>>;
}

export class PhaseClock {
  readonly phases: Partial<Record<BootPhase, PhaseSpan>> = {};

  constructor(readonly origin = performance.now()) {}

  now(): number {
    return performance.now() - this.origin;
  }

  /** Times `work` as `phase`, whether it succeeds or fails. */
  async time<T>(phase: BootPhase, work: () => Promise<T>): Promise<T> {
    const start = this.now();
    try {
      return await work();
    } finally {
      this.phases[phase] = { startMs: start, ms: this.now() - start };
    }
  }

  record(phase: BootPhase, startMs: number, endMs: number): void {
    this.phases[phase] = { startMs, ms: endMs - startMs };
  }
}

/** One line for the boot check's details (the bench reads it: keep `phases (start+duration s):`). */
export function describeTimings(timings: BootTimings, image: string, runId: string): string {
  const s = (ms: number): string => (ms / 1000).toFixed(2);
  const phases = Object.entries(timings.phases)
    .sort(([, a], [, b]) => a.startMs - b.startMs)
    .map(([name, span]) => `${name} ${s(span.startMs)}+${s(span.ms)}`)
    .join(', ');
  return (
    `timings: ${s(timings.totalMs)} s in all: image ${s(timings.prepareMs)} s, server start-up ${s(timings.serverStartMs)} s, ` +
    `boot overhead ${s(timings.overheadMs)} s (image ${image}, run ${runId}); phases (start+duration s): ${phases}`
  );
}
