import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { isToolError } from './errors.js';
import { trapSignals, type SignalTarget, type TrappedSignal } from './cli-signals.js';

/** A process stand-in: signals are emitted by the test, and dying is recorded. */
function fakeProcess(): SignalTarget & { emitter: EventEmitter; died: TrappedSignal[] } {
  const emitter = new EventEmitter();
  const died: TrappedSignal[] = [];
  return {
    emitter,
    died,
    on: (s, l) => emitter.on(s, l),
    removeListener: (s, l) => emitter.removeListener(s, l),
    die: (s) => void died.push(s),
  };
}

describe('trapSignals', () => {
  it('turns the first SIGINT into an abort whose reason is an INTERRUPTED ToolError, then dies of it on release', () => {
    const target = fakeProcess();
    const trap = trapSignals(target, 60_000);
    expect(target.emitter.listenerCount('SIGINT')).toBe(1);
    expect(trap.signal.aborted).toBe(false);
    target.emitter.emit('SIGINT', 'SIGINT');
    expect(trap.signal.aborted).toBe(true);
    const reason: unknown = trap.signal.reason;
    expect(isToolError(reason) && reason.code).toBe('INTERRUPTED');
    expect(trap.received()).toBe('SIGINT');
    expect(target.died).toEqual([]);
    trap.release();
    trap.release();
    expect(target.died).toEqual(['SIGINT']);
    expect(target.emitter.listenerCount('SIGINT') + target.emitter.listenerCount('SIGTERM')).toBe(0);
  });

  it('dies at once on a second signal', () => {
    const target = fakeProcess();
    trapSignals(target, 60_000);
    target.emitter.emit('SIGTERM', 'SIGTERM');
    target.emitter.emit('SIGINT', 'SIGINT');
    expect(target.died).toEqual(['SIGTERM']);
  });

  it('dies when the command does not settle within the grace period', async () => {
    const target = fakeProcess();
    trapSignals(target, 20);
    target.emitter.emit('SIGTERM', 'SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    expect(target.died).toEqual(['SIGTERM']);
  });

  it('leaves the process alone when no signal came', () => {
    const target = fakeProcess();
    const trap = trapSignals(target, 60_000);
    trap.release();
    expect(target.died).toEqual([]);
    expect(target.emitter.listenerCount('SIGTERM')).toBe(0);
  });
});

// A real process gets the signal, so this runs the compiled shell (npm test builds first).
const DIST = join(import.meta.dirname, '..', 'dist', 'abi-gate', 'index.js');
const tmp = mkdtempSync(join(tmpdir(), 'gate-signals-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!existsSync(DIST) && process.env['CI'] !== 'true')('a bin run by runBin (skipped when not built: run `npm run build`)', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`hands ${signal} to the command as an abort, lets it clean up, then dies of ${signal}`, async () => {
      const marker = join(tmp, `cleaned-${signal}`);
      const script = join(tmp, `tool-${signal}.mjs`);
      writeFileSync(
        script,
        `import { writeFileSync } from 'node:fs';
const { defineCommand, runBin } = await import(${JSON.stringify(pathToFileURL(DIST).href)});
const wait = defineCommand({ command: 'wait', describe: 'wait for a signal', builder: (y) => y,
  run: async (args, { signal }) => {
    process.stdout.write('ready\\n');
    // Stands in for the work in flight (a container, a download) that keeps the process alive.
    const work = setInterval(() => undefined, 1000);
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
    clearInterval(work);
    writeFileSync(${JSON.stringify(marker)}, signal.reason.code + ': ' + signal.reason.message);
    return 0;
  } });
await runBin({ name: 'toy', summary: 'waits', commands: [wait] });
`,
      );
      const child = spawn(process.execPath, [script, 'wait'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<string>((resolve) => child.on('exit', (code, sig) => resolve(sig ?? `exit ${code}`)));
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.kill(signal);
      expect(await exited).toBe(signal);
      expect(readFileSync(marker, 'utf8')).toBe(`INTERRUPTED: interrupted by ${signal}`);
    });
  }
});
