import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cxxfilt, noDemangler } from '../abi-gate/index.js';
import type { DiffReport } from './diff.js';
import { renderDiffHuman } from './diff-render.js';

const WAIT = '_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE';
const HOSTILE = 'evil\n\u001b[2Jpath\u0085\u202e';

function report(path: string): DiffReport {
  return {
    old: { source: `old-${path}.manifest.json`, from: 'manifest', commit: 'a'.repeat(40) },
    new: { source: `new-${path}.manifest.json`, from: 'manifest', commit: `b${path}` },
    hostCheck: [],
    abi: [
      { family: 'GLIBC', old: '2.17', new: '2.28', change: 'rose', culprits: [{ path: `node_modules/${path}.node`, symbols: ['fcntl64', path] }] },
      { family: 'GLIBCXX', old: null, new: '3.4.30', change: 'added', culprits: [{ path: 'node', symbols: [WAIT] }] },
      { family: 'CXXABI', old: '1.3.7', new: '1.3.7', change: 'same', culprits: [] },
    ],
    node: { old: { version: '16.20.2', moduleVersion: 93 }, new: { version: `20.0.0${path}`, moduleVersion: 115 }, versionChanged: true, moduleVersionChanged: true },
    files: { added: [{ path: `a/${path}`, size: 1 }], removed: [{ path, size: 2 }], changed: [{ path: `c/${path}`, oldSize: 1, newSize: 3 }] },
  };
}

describe('doctor diff, human', () => {
  it('shows input strings visibly: the line count does not depend on the names', () => {
    const plain = renderDiffHuman(report('x'), { demangler: noDemangler }).split('\n').length;
    const text = renderDiffHuman(report(HOSTILE), { demangler: noDemangler });
    expect(text.split('\n')).toHaveLength(plain);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(text).toContain('evil\\n\\x1b[2Jpath\\x85\\u{202e}');
  });

  it('demangles culprits (one c++filt call) and adds fix hints for the families that rose', () => {
    const readable = execFileSync('c++filt', [WAIT], { encoding: 'utf8' }).trim();
    let calls = 0;
    const counting = { demangle: (names: readonly string[]) => (calls++, cxxfilt().demangle(names)) };
    const text = renderDiffHuman(report('x'), { demangler: counting });
    expect(calls).toBe(1);
    expect(text).toContain(`min GLIBCXX (libstdc++) is now required: 3.4.30: node (${readable})`);
    expect(text).toContain('hint (fcntl64@GLIBC_2.28): official node >= 18');
    expect(text).toContain(`hint (${readable}@GLIBCXX_3.4.30): built with a newer GCC`);
    // A family that did not rise gets no hint.
    const same = report('x');
    same.abi = same.abi.map((a) => ({ ...a, change: 'same' as const }));
    expect(renderDiffHuman(same, { demangler: noDemangler })).not.toContain('hint');
  });
});
