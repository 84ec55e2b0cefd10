/** Runs the built packager bin as a real process, for tests that signal or kill it. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMIT, NODE_STUB, REPO, SAMPLE } from './fixtures.js';

// The bin package.json names (the bundle with its code cache), as a user runs it.
export const BIN = join(REPO, 'dist', 'packager', 'packager.cjs');

export interface Running {
  child: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function buildArgs(out: string, commit = COMMIT, extra: string[] = []): string[] {
  return ['build', '--server', SAMPLE, '--commit', commit, '--node', NODE_STUB, '--prune-foreign', '--out', out, ...extra];
}

export function startPackager(args: string[], env: NodeJS.ProcessEnv): Running {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build`);
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, stdout: () => stdout, exited };
}

/** Resolves once the build printed `packager: paused at <point>`; rejects if it ends first. */
export async function pausedAt(run: Running, point: string, timeoutMs = 30_000): Promise<void> {
  const line = `packager: paused at ${point}\n`;
  const started = Date.now();
  while (!run.stderr().includes(line)) {
    if (run.child.exitCode !== null || run.child.signalCode !== null) throw new Error(`packager ended before ${point}: ${run.stderr()}`);
    if (Date.now() - started > timeoutMs) throw new Error(`packager never paused at ${point}: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * What a reader of `out` may rely on at any instant: every tarball has its manifest (naming it,
 * with its sha256) and its SHA256SUMS line. Hashes come from `sha256sum`, not from packager.
 * Returns the broken promises, one line each.
 */
export function invariantBreaks(out: string): string[] {
  const names = readdirSync(out);
  const sums = names.includes('SHA256SUMS') ? readFileSync(join(out, 'SHA256SUMS'), 'utf8').split('\n') : [];
  const breaks: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.tar.gz') && !n.startsWith('.'))) {
    const sha = execFileSync('sha256sum', [join(out, name)], { encoding: 'utf8' }).split(' ')[0];
    const manifestName = name.replace(/\.tar\.gz$/, '.manifest.json');
    if (!names.includes(manifestName)) breaks.push(`${name}: no manifest`);
    else {
      const manifest = JSON.parse(readFileSync(join(out, manifestName), 'utf8')) as { tarball: { file: string; sha256: string } };
      if (manifest.tarball.file !== name || manifest.tarball.sha256 !== sha) breaks.push(`${name}: manifest describes another tarball`);
    }
    if (!sums.includes(`${sha}  ${name}`)) breaks.push(`${name}: no SHA256SUMS line`);
  }
  return breaks;
}
