import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Runs a real vitest over small test files with the reporter and reads what it prints at the end.
const ROOT = join(import.meta.dirname, '..');
mkdirSync(join(ROOT, '.cache'), { recursive: true });
// Inside the project, so the files find vitest in node_modules.
const dir = mkdtempSync(join(ROOT, '.cache', 'skips-reporter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILES: Record<string, string> = {
  'docker.test.ts': `import { describe, it } from 'vitest';
describe.skipIf(true)('boots (skipped: no Docker engine answers)', () => { it('one', () => {}); it('two', () => {}); it('three', () => {}); });`,
  'note.test.ts': `import { it } from 'vitest';
it('runs', () => {});
it('needs a compiler', (ctx) => { ctx.skip('no cc on PATH'); });
it.skipIf(true)('reads the corpus (skipped when .cache/corpus is missing)', () => {});`,
  'bare.test.ts': `import { it } from 'vitest';
it.skip('does something', () => {});`,
  'empty.test.ts': `import { describe, it } from 'vitest';
const ready = false;
describe.skipIf(!ready)('hidden (skipped: not ready)', () => { if (!ready) return; it('never registered', () => {}); });`,
};

function vitest(files: string[]): { status: number | null; stdout: string } {
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, name), text);
  writeFileSync(
    join(dir, 'vitest.config.mjs'),
    `export default { test: { include: ${JSON.stringify(files)}, reporters: ['default', ${JSON.stringify(join(ROOT, 'ci', 'skips-reporter.ts'))}] } };`,
  );
  const run = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  return { status: run.status, stdout: run.stdout };
}

describe('the skips reporter', () => {
  it('counts every skipped test under its reason, with the files, and passes when each has one', () => {
    const { status, stdout } = vitest(['docker.test.ts', 'note.test.ts']);
    expect(status).toBe(0);
    const tail = stdout.slice(stdout.indexOf('Skipped:'));
    expect(tail.split('\n').slice(0, 4)).toEqual([
      'Skipped: 5 tests (1 whole file); for the full run see README "Development".',
      '     3  skipped: no Docker engine answers  [docker.test.ts 3]',
      '     1  no cc on PATH  [note.test.ts 1]',
      '     1  skipped when .cache/corpus is missing  [note.test.ts 1]',
    ]);
  });

  it('fails the run for a skip without a reason and for a file that registers no test', () => {
    const { status, stdout } = vitest(['docker.test.ts', 'bare.test.ts', 'empty.test.ts']);
    expect(status).toBe(1);
    expect(stdout).toContain('FAIL: 1 test skipped without a reason');
    expect(stdout).toContain('  bare.test.ts > does something');
    expect(stdout).toContain('FAIL: 1 file registered no test');
    expect(stdout).toContain('  empty.test.ts');
  });
});
