/**
 * Public APIs are boundaries: a file may import from another top-level folder only through that
 * folder's `index.ts` (tests, test support and the differential harness also through
 * `<folder>/test-support/index.ts`), and
 * no file imports itself back through a chain of imports. Imports are read with TypeScript's own
 * pre-processor, so `import type`, `export ... from` and `import()` all count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
/** Folders that hold the toolkit's TypeScript; others (fixtures, node_modules, dist) are data. */
const SKIP = new Set(['node_modules', 'dist', 'fixtures', '.cache', '.git', 'bench']);

function tsFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || SKIP.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(relative(ROOT, path));
    }
  };
  for (const entry of readdirSync(ROOT, { withFileTypes: true })) {
    if (entry.isDirectory() && !entry.name.startsWith('.') && !SKIP.has(entry.name)) walk(join(ROOT, entry.name));
  }
  return out.sort();
}

/** Relative imports of a file, as repository paths of the `.ts` files they name. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles
    .map((ref) => ref.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(ROOT, resolve(ROOT, dirname(file), name)).replace(/\.js$/, '.ts'));
}

const top = (path: string): string => path.split('/')[0] ?? '';
/** Folders that hold nothing but tests and their harness. */
const TEST_FOLDERS = new Set(['differential']);
const isTestCode = (file: string): boolean =>
  file.endsWith('.test.ts') || file.split('/').includes('test-support') || TEST_FOLDERS.has(top(file));

const FILES = tsFiles();
const GRAPH = new Map(FILES.map((file) => [file, importsOf(file)]));

test('imports across top-level folders go through the folder index.ts', () => {
  const bypasses: string[] = [];
  for (const [file, imports] of GRAPH) {
    for (const target of imports) {
      const folder = top(target);
      if (folder === top(file) || target === `${folder}/index.ts`) continue;
      if (isTestCode(file) && target === `${folder}/test-support/index.ts`) continue;
      bypasses.push(`${file} -> ${target}`);
    }
  }
  expect(bypasses).toEqual([]);
});

test('layers: abi-gate stands on nothing, release on abi-gate only', () => {
  const allowed: Record<string, readonly string[]> = { 'abi-gate': [], release: ['abi-gate'] };
  const wrong: string[] = [];
  for (const [file, imports] of GRAPH) {
    const may = allowed[top(file)];
    if (may === undefined || isTestCode(file)) continue;
    for (const target of imports) if (top(target) !== top(file) && !may.includes(top(target))) wrong.push(`${file} -> ${target}`);
  }
  expect(wrong).toEqual([]);
});

/**
 * Cycles being removed by their owner's work in progress (the CLI shell: doctor/cli.ts hands
 * `withReportOptions` to boot-cli.ts, which names its type). A cycle not listed fails the test.
 */
const KNOWN_CYCLES: readonly string[] = ['doctor/cli.ts -> doctor/boot-cli.ts -> doctor/cli.ts'];

test('no import cycles', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of GRAPH.get(file) ?? []) {
      if (!GRAPH.has(next)) continue;
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' -> '));
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of FILES) if (state.get(file) === undefined) visit(file);
  expect(cycles.filter((cycle) => !KNOWN_CYCLES.includes(cycle))).toEqual([]);
});

test('the boundary rule sees the imports it judges', () => {
  // A parser that found no imports would pass every rule above.
  expect(FILES.length).toBeGreaterThan(100);
  expect(GRAPH.get('doctor/verify.ts')).toContain('doctor/verify-stream.ts');
  expect(importsOf('release/boundaries.test.ts')).toEqual([]);
});
