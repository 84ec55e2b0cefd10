/**
 * The CLIs own the process's signals: SIGINT and SIGTERM become an AbortSignal that the command
 * hands to the library, which cleans up (removes its containers, its temp files) and settles. No
 * library installs a process handler. The process then dies of the signal it got, as it would
 * have without us (exit status 128 + n for the shell).
 */
import { ToolError } from './errors.js';

export type TrappedSignal = 'SIGINT' | 'SIGTERM';
const TRAPPED: readonly TrappedSignal[] = ['SIGINT', 'SIGTERM'];

/**
 * How long a command may take to settle once aborted. Most cleanup (a container's removal) takes
 * a second or two; a library that does not watch its signal must not make Ctrl-C do nothing.
 */
export const ABORT_GRACE_MS = 5_000;

/** The part of `process` the trap uses, so a test can hand in an emitter of its own. */
export interface SignalTarget {
  on(signal: TrappedSignal, listener: (signal: TrappedSignal) => void): unknown;
  removeListener(signal: TrappedSignal, listener: (signal: TrappedSignal) => void): unknown;
  /** Ends the process by this signal (default handling restored). */
  die(signal: TrappedSignal): void;
}

export const PROCESS_SIGNALS: SignalTarget = {
  on: (signal, listener) => process.on(signal, listener),
  removeListener: (signal, listener) => process.removeListener(signal, listener),
  die: (signal) => {
    process.kill(process.pid, signal);
  },
};

export interface SignalTrap {
  /** Fires on the first SIGINT or SIGTERM; its reason is a ToolError `INTERRUPTED`. */
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  received(): TrappedSignal | null;
  /**
   * Removes the handlers; when a signal came, ends the process by it. Call once the command
   * has settled (its cleanup is done).
   */
  release(): void;
}

/**
 * Traps SIGINT/SIGTERM while a command runs. The first aborts; a second, or a command that has
 * not settled within `graceMs`, ends the process at once.
 */
export function trapSignals(target: SignalTarget = PROCESS_SIGNALS, graceMs = ABORT_GRACE_MS): SignalTrap {
  const controller = new AbortController();
  let received: TrappedSignal | null = null;
  let timer: NodeJS.Timeout | undefined;
  let released = false;

  const release = (): void => {
    if (released) return;
    released = true;
    clearTimeout(timer);
    for (const s of TRAPPED) target.removeListener(s, onSignal);
    if (received !== null) target.die(received);
  };

  function onSignal(signal: TrappedSignal): void {
    if (received !== null) {
      release();
      return;
    }
    received = signal;
    controller.abort(new ToolError('INTERRUPTED', `interrupted by ${signal}`, { exitCode: 2 }));
    timer = setTimeout(release, graceMs);
    timer.unref();
  }

  for (const s of TRAPPED) target.on(s, onSignal);
  return { signal: controller.signal, received: () => received, release };
}
