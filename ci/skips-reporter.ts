/**
 * A vitest reporter that says, at the end of `npm test`, what did not run and why: every skipped
 * test counted, grouped by its reason, with the files it sits in. A skip says its reason in the
 * test's or a suite's name (`... (skipped: no Docker engine answers ...)`, `(skipped when not
 * built: ...)`) or through `ctx.skip(note)`. The run fails when a test is skipped without a
 * reason, or when a file registers no test at all (a suite that returns early before its tests
 * hides them: let them register as skipped instead).
 */
import { relative } from 'node:path';
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node';

/** `(skipped: why)`, `(skipped when ...)`, `(skipped without ...)`: the rest of the name after it. */
const REASON_IN_NAME = /\((skipped\b[^]*)\)\s*$/;

export interface SkipSummary {
  /** Reason -> files (relative) -> count of skipped tests. */
  byReason: Map<string, Map<string, number>>;
  /** Tests skipped with no reason anywhere: `file > suite > test`. */
  unexplained: string[];
  /** Files that registered no test. */
  empty: string[];
  skipped: number;
  /** Files whose every test was skipped. */
  skippedFiles: number;
}

function reasonOf(test: TestCase): string | null {
  const result = test.result();
  if (result.state === 'skipped' && result.note !== undefined && result.note !== '') return result.note;
  if (test.options.mode === 'todo') return 'todo';
  const names = [test.name];
  for (let parent = test.parent; parent.type === 'suite'; parent = parent.parent) names.push(parent.name);
  for (const name of names) {
    const match = REASON_IN_NAME.exec(name);
    if (match?.[1] !== undefined) return match[1];
  }
  return null;
}

export function summarizeSkips(modules: readonly TestModule[], root: string, filtered: boolean): SkipSummary {
  const summary: SkipSummary = { byReason: new Map(), unexplained: [], empty: [], skipped: 0, skippedFiles: 0 };
  for (const module of modules) {
    const file = relative(root, module.moduleId);
    const tests = [...module.children.allTests()];
    // A file that failed to load has no tests and says so through its error already.
    if (tests.length === 0 && module.state() !== 'failed') summary.empty.push(file);
    const skipped = tests.filter((t) => t.result().state === 'skipped');
    if (tests.length > 0 && skipped.length === tests.length) summary.skippedFiles++;
    for (const test of skipped) {
      summary.skipped++;
      const reason = reasonOf(test) ?? (filtered ? 'filtered out by -t / a test name pattern' : null);
      if (reason === null) {
        summary.unexplained.push(`${file} > ${test.fullName}`);
        continue;
      }
      const files = summary.byReason.get(reason) ?? new Map<string, number>();
      files.set(file, (files.get(file) ?? 0) + 1);
      summary.byReason.set(reason, files);
    }
  }
  return summary;
}

export function renderSkips(summary: SkipSummary): string {
  const lines: string[] = [];
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (summary.skipped > 0) {
    lines.push(`Skipped: ${plural(summary.skipped, 'test')} (${plural(summary.skippedFiles, 'whole file')}); for the full run see README "Development".`);
    const reasons = [...summary.byReason].sort((a, b) => total(b[1]) - total(a[1]));
    for (const [reason, files] of reasons) {
      const where = [...files].map(([file, n]) => `${file} ${n}`).join(', ');
      lines.push(`  ${String(total(files)).padStart(4)}  ${reason}  [${where}]`);
    }
  }
  if (summary.unexplained.length > 0) {
    lines.push(`FAIL: ${plural(summary.unexplained.length, 'test')} skipped without a reason (put "(skipped: why)" in its name or call ctx.skip(why)):`);
    for (const test of summary.unexplained) lines.push(`  ${test}`);
  }
  if (summary.empty.length > 0) {
    lines.push(`FAIL: ${plural(summary.empty.length, 'file')} registered no test (register them as skipped, with the reason, instead of returning early):`);
    for (const file of summary.empty) lines.push(`  ${file}`);
  }
  return lines.length === 0 ? '' : `\n${lines.join('\n')}\n`;
}

function total(files: Map<string, number>): number {
  let n = 0;
  for (const count of files.values()) n += count;
  return n;
}

export default class SkipsReporter implements Reporter {
  private root = process.cwd();
  private filtered = false;

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
    // `vitest run -t name` skips what it filters out: that is the user's choice, not a hidden skip.
    this.filtered = vitest.config.testNamePattern !== undefined;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const summary = summarizeSkips(modules, this.root, this.filtered);
    const text = renderSkips(summary);
    if (text !== '') process.stdout.write(text);
    if (summary.unexplained.length > 0 || summary.empty.length > 0) process.exitCode = 1;
  }
}
