import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { walkEntries, type ReleaseEntry } from './index.js';

const TOP = 'r-0123456789012345678901234567890123456789-linux-x64';
const tmp = mkdtempSync(join(tmpdir(), 'release-walk-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const dir = (path: string): ReleaseEntry => ({ path: `${TOP}/${path}`, kind: 'directory', mode: 0o755, linkpath: null });
const link = (path: string, target: string): ReleaseEntry => ({ path: `${TOP}/${path}`, kind: 'symlink', mode: 0o777, linkpath: target });

/**
 * The kernel's answer, independent of the code under test: the links made on disk in archive
 * order, then each one resolved with libc realpath. Outside = resolves outside the top folder, or
 * ELOOP. A dangling link is judged by the deepest existing folder it names.
 */
function kernelOutside(name: string, entries: readonly ReleaseEntry[]): string[] {
  const sandbox = join(tmp, name);
  mkdirSync(join(sandbox, 'inside'), { recursive: true });
  const root = join(sandbox, 'inside');
  mkdirSync(join(root, TOP));
  for (const entry of entries) {
    if (entry.kind === 'directory') mkdirSync(join(root, entry.path), { recursive: true });
    else symlinkSync(entry.linkpath as string, join(root, entry.path));
  }
  const top = realpathSync.native(join(root, TOP));
  const outside: string[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'symlink') continue;
    let resolved: string;
    try {
      resolved = realpathSync.native(join(root, entry.path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') outside.push(entry.path);
      continue;
    }
    if (resolved !== top && !resolved.startsWith(top + sep)) outside.push(entry.path);
  }
  return outside;
}

const CASES: Record<string, ReleaseEntry[]> = {
  'x -> . then y -> x/..': [link('x', '.'), link('y', 'x/..')],
  'a/b/d -> .. then a/b/l -> d/../../..': [dir('a'), dir('a/b'), link('a/b/d', '..'), link('a/b/l', 'd/../../..')],
  'a loop: p -> q, q -> p': [link('p', 'q'), link('q', 'p')],
  'a self loop': [link('self', 'self/x')],
  'a later link turns an earlier one outward': [link('a', 'n/..'), link('n', '.'), dir('c'), link('z', 'c/../' + TOP)],
  'ordinary links inside': [dir('lib'), link('lib/current', '.'), link('bin', 'lib/current'), link('up', 'lib/..')],
};

describe('EntryWalk judges links as the kernel resolves them', () => {
  for (const [name, entries] of Object.entries(CASES)) {
    test(name, () => {
      const flagged = [...new Set(walkEntries([dir(''), ...entries], TOP).map((f) => f.path))];
      expect(flagged.sort()).toEqual(kernelOutside(name.replace(/\W+/g, '-'), entries).sort());
    });
  }

  test('the brief cases are refused and say why', () => {
    const first = walkEntries([dir(''), ...(CASES['x -> . then y -> x/..'] ?? [])], TOP);
    expect(first).toEqual([{ path: `${TOP}/y`, finding: expect.stringMatching(/symlink to x\/\.\. resolves to \., outside the top folder/) }]);
    const later = walkEntries([dir(''), ...(CASES['a later link turns an earlier one outward'] ?? [])], TOP);
    expect(later).toEqual([{ path: `${TOP}/a`, finding: expect.stringContaining('once the links after it are in place') }]);
    const loop = walkEntries([dir(''), ...(CASES['a loop: p -> q, q -> p'] ?? [])], TOP);
    expect(loop.map((f) => f.finding)).toEqual([expect.stringContaining('symlink loop'), expect.stringContaining('symlink loop')]);
  });

  test('names, types and modes are findings too', () => {
    const findings = walkEntries(
      [
        { path: '/etc/passwd', kind: 'file', mode: 0o644, linkpath: null },
        { path: `${TOP}/../x`, kind: 'file', mode: 0o644, linkpath: null },
        { path: `${TOP}/tty`, kind: 'chardev', mode: 0o644, linkpath: null },
        { path: `${TOP}/su`, kind: 'file', mode: 0o4755, linkpath: null },
        { path: `${TOP}/su`, kind: 'file', mode: 0o755, linkpath: null },
      ],
      TOP,
    ).map((f) => f.finding);
    expect(findings).toEqual([
      'absolute or drive path',
      "'..' component",
      'character device',
      'setuid bit',
      'appears twice (the later entry replaces what was checked)',
    ]);
  });
});
