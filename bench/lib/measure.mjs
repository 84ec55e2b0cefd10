// Runs commands side by side and reduces the timings. Wall time is taken around the spawn in this
// process; peak RSS comes from GNU time's wait4() rusage, which covers the child and every
// descendant it waited for (so `bash -c 'tar | gzip'` reports its largest process).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const GNU_TIME = '/usr/bin/time';

export function haveGnuTime() {
  return existsSync(GNU_TIME);
}

/**
 * One run of `cmd args`. With `rss`, the command runs under GNU time; its own start-up
 * (about a millisecond) is then part of the wall time, so both sides of a comparison must use the
 * same setting.
 * @returns {Promise<{ ms: number, rssMB: number | null, code: number | null, stdout: string, stderr: string }>}
 */
export function runOnce(cmd, args, { rss = false, cwd, env, stdin = 'ignore', keepStdout = false, timeoutMs } = {}) {
  const rssFile = join(tmpdir(), `bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [file, argv] = rss && haveGnuTime() ? [GNU_TIME, ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(file, argv, { cwd, env: env ?? process.env, stdio: [stdin, 'pipe', 'pipe'], timeout: timeoutMs });
    const out = [];
    const err = [];
    let outBytes = 0;
    child.stdout.on('data', (chunk) => {
      // Output is drained either way, so a chatty command costs the same whether kept or not.
      if (keepStdout && outBytes < 64 * 1024 * 1024) out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on('data', (chunk) => {
      if (err.length < 256) err.push(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - start;
      let rssMB = null;
      if (rss && existsSync(rssFile)) {
        // GNU time appends "Command exited with non-zero status N" lines before the number.
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
        const kb = Number(lines[lines.length - 1]);
        if (Number.isFinite(kb)) rssMB = kb / 1024;
        rmSync(rssFile, { force: true });
      }
      resolve({ ms, rssMB, code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export class CommandFailed extends Error {}

/**
 * Runs every side once as a warm-up (page cache, disk), then `reps` rounds of A B A B ...,
 * alternating which side goes first in each round so neither always follows the other.
 * A side is `{ name, cmd, args, ok?(result), before?(), after?() }`; `before`/`after` run
 * untimed around each run (fresh output folder, cleanup).
 */
export async function alternate(sides, { reps, rss = false, warmup = true, log = () => {} }) {
  const samples = Object.fromEntries(sides.map((s) => [s.name, { ms: [], rssMB: [] }]));
  const runSide = async (side, counted) => {
    await side.before?.();
    const result = await runOnce(side.cmd, side.args, { rss, cwd: side.cwd, env: side.env, keepStdout: side.keepStdout });
    await side.after?.(result);
    const accept = side.ok ?? ((r) => r.code === 0);
    if (!accept(result)) {
      const detail = (result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ');
      throw new CommandFailed(`${side.name}: \`${[side.cmd, ...side.args].join(' ')}\` exited ${result.code}: ${detail}`);
    }
    if (counted) {
      samples[side.name].ms.push(result.ms);
      if (result.rssMB !== null) samples[side.name].rssMB.push(result.rssMB);
    }
    return result;
  };
  if (warmup) for (const side of sides) await runSide(side, false);
  for (let round = 0; round < reps; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) await runSide(side, true);
    log(`round ${round + 1}/${reps}`);
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, s]) => [
      name,
      {
        medianMs: median(s.ms),
        minMs: Math.min(...s.ms),
        maxMs: Math.max(...s.ms),
        samplesMs: s.ms.map((v) => Math.round(v * 10) / 10),
        peakRssMB: s.rssMB.length > 0 ? Math.max(...s.rssMB) : null,
      },
    ]),
  );
}
