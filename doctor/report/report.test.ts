import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../report-types.js';
import { noDemangler } from '../../abi-gate/index.js';
import { emitGithub, renderAnnotations, renderHuman, renderJson, renderJunit, renderStepSummary, writeJunit } from './index.js';

const hostileName = 'evil/a&b<c>"d\'\u0001\ne%:,|.tar.gz';

const report: VerifyReport = {
  ok: false,
  tarballs: [
    {
      file: 'dist/good.tar.gz',
      ok: true,
      checks: [
        { id: 'integrity', ok: true, message: "complete gzip'd tar" },
        { id: 'glibc', ok: null, message: 'policy none: the glibc gate is off' },
      ],
    },
    {
      file: hostileName,
      ok: false,
      checks: [
        { id: 'paths', ok: false, message: '1 unsafe entries: 100% bad\r\nreally', details: ['/etc/passwd: absolute or drive path', 'x\u0000y: NUL'] },
        { id: 'limits', ok: true, message: 'fine' },
      ],
    },
    { file: 'dist/missing.tar.gz', ok: false, checks: [], error: 'dist/missing.tar.gz: cannot read it (ENOENT): check the path' },
  ],
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doctor-report-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('human', () => {
  it('prints one line per check with its mark, and a summary per tarball', () => {
    const text = renderHuman(report, { demangler: noDemangler });
    expect(text).toContain('✓ integrity');
    expect(text).toContain('– glibc');
    expect(text).toContain('✗ paths');
    expect(text).toContain('      /etc/passwd: absolute or drive path');
    expect(text).toContain('PASS: 1 passed, 0 failed, 1 skipped');
    expect(text).toContain('FAIL: 1 passed, 1 failed, 0 skipped');
    expect(text).toContain('UNREADABLE');
    expect(text).toContain('2 of 3 tarballs failed');
    // A newline inside an entry name never splits a report line.
    expect(text).toContain('x\\x00y: NUL');
    expect(text).not.toMatch(/\r/);
  });
});

describe('json', () => {
  it('is the VerifyReport contract, ok null for skipped checks', () => {
    const parsed = JSON.parse(renderJson(report)) as VerifyReport;
    expect(parsed.ok).toBe(false);
    expect(parsed.tarballs[0]?.checks[1]).toEqual({ id: 'glibc', ok: null, message: 'policy none: the glibc gate is off' });
    expect(Object.keys(parsed.tarballs[1] ?? {})).toEqual(['file', 'ok', 'checks']);
  });
});

describe('junit', () => {
  it('is well-formed XML with one testsuite per tarball and one testcase per check', async () => {
    const file = join(dir, 'junit.xml');
    await writeJunit(report, file);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // Parsed by an independent XML parser (Python's expat), not by string matching.
    const py = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
out = {"root": root.tag, "attrs": root.attrib, "suites": []}
for s in root.findall("testsuite"):
    out["suites"].append({"name": s.get("name"), "attrs": dict(s.attrib), "cases": [
        {"name": c.get("name"), "failure": (c.find("failure").get("message") if c.find("failure") is not None else None),
         "failureText": (c.find("failure").text if c.find("failure") is not None else None),
         "skipped": c.find("skipped") is not None, "error": c.find("error") is not None} for c in s.findall("testcase")]})
print(json.dumps(out))`;
    const run = spawnSync('python3', ['-c', py, file], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const parsed = JSON.parse(run.stdout) as {
      root: string;
      attrs: Record<string, string>;
      suites: { name: string; attrs: Record<string, string>; cases: { name: string; failure: string | null; failureText: string | null; skipped: boolean; error: boolean }[] }[];
    };
    expect(parsed.root).toBe('testsuites');
    expect(parsed.attrs).toMatchObject({ tests: '5', failures: '1', skipped: '1', errors: '1' });
    expect(parsed.suites.map((s) => s.name)).toEqual(['dist/good.tar.gz', "evil/a&b<c>\"d'\\x01\\ne%:,|.tar.gz", 'dist/missing.tar.gz']);
    expect(parsed.suites[0]?.cases).toEqual([
      { name: 'integrity', failure: null, failureText: null, skipped: false, error: false },
      { name: 'glibc', failure: null, failureText: null, skipped: true, error: false },
    ]);
    const paths = parsed.suites[1]?.cases[0];
    expect(paths?.name).toBe('paths');
    expect(paths?.failureText).toContain('/etc/passwd: absolute or drive path');
    expect(paths?.failureText).toContain('x\\x00y: NUL');
    expect(parsed.suites[2]?.cases[0]?.error).toBe(true);
  });

  it('escapes markup in names and messages', () => {
    const xml = renderJunit(report);
    expect(xml).toContain('a&amp;b&lt;c&gt;&quot;d&apos;\\x01');
    expect(xml).not.toContain('\u0001');
  });
});

describe('github', () => {
  it('emits one ::error per failed check and unreadable tarball', () => {
    const lines = renderAnnotations(report);
    expect(lines).toHaveLength(2);
    expect(lines[0]?.startsWith(
      `::error file=evil/a&b<c>"d'\\x01\\ne%25%3A%2C|.tar.gz,title=doctor paths::1 unsafe entries: 100%25 bad\\r\\nreally%0A/etc/passwd`,
    )).toBe(true);
    for (const line of lines) expect(line).not.toMatch(/[\r\n]/);
    expect(lines[1]).toMatch(/^::error file=dist\/missing\.tar\.gz,title=doctor%3A unreadable::/);
  });

  it('appends a markdown table to the step summary', async () => {
    const summary = join(dir, 'summary.md');
    await writeFile(summary, '# earlier step\n');
    const written: string[] = [];
    await emitGithub(report, { write: (l) => written.push(l), summaryFile: summary });
    const text = await readFile(summary, 'utf8');
    expect(text.startsWith('# earlier step\n### doctor verify: ✗ 2 of 3 failed')).toBe(true);
    expect(text).toContain('| tarball | check | result | message |');
    expect(text).toContain('| dist/good.tar.gz | glibc | – | policy none: the glibc gate is off |');
    expect(text).toContain('\\|.tar.gz | paths | ✗ |');
    expect(text).toContain('evil/a&amp;b&lt;c&gt;"d\'\\\\x01\\\\ne%:,\\|.tar.gz');
    expect(written).toHaveLength(2);
  });
});

/** Every kind of name an attacker controls, in every place a renderer puts input text. */
const HOSTILE = ['nl\nsplit', 'esc\u001b[2J\u001b]0;pwned\u0007', 'pct%0A::warning::x', 'nul\u0000', 'nel\u0085', 'bidi\u202e', 'lone\ud800', 'cdata]]>', 'pipe|`code`<b>'];
const hostileReport: VerifyReport = {
  ok: false,
  tarballs: HOSTILE.map((name) => ({
    file: `${name}.tar.gz`,
    ok: false,
    error: `${name}: unreadable`,
    checks: [
      { id: 'paths', ok: false, message: `entry ${name} escapes`, details: [`${name} -> ../${name}`, `log: ${name}`] },
      { id: 'glibc', ok: null, message: `skipped ${name}` },
    ],
  })),
};
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]|[\ud800-\udbff](?![\udc00-\udfff])/;

describe('hostile names in every destination', () => {
  it('human: one line per item, nothing a terminal acts on', () => {
    const text = renderHuman(hostileReport, { demangler: noDemangler });
    expect(text).not.toMatch(ACTIVE);
    // 9 tarballs x (name, error, 2 checks, 2 details, summary), a blank line after each, the tail, the final newline.
    expect(text.split('\n')).toHaveLength(HOSTILE.length * 7 + HOSTILE.length + 2);
    expect(text).toContain('nl\\nsplit -> ../nl\\nsplit');
  });

  it('annotations: one command per failure, no line break, no control character', () => {
    const lines = renderAnnotations(hostileReport);
    expect(lines).toHaveLength(HOSTILE.length * 2);
    for (const line of lines) {
      expect(line).not.toMatch(/[\r\n]/);
      expect(line).not.toMatch(ACTIVE);
      expect(line).toMatch(/^::error file=[^:,]*,title=[^:,]*::/);
    }
  });

  it('step summary: every table row keeps its four cells', () => {
    const text = renderStepSummary(hostileReport);
    expect(text).not.toMatch(ACTIVE);
    const rows = text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| tarball'));
    expect(rows).toHaveLength(HOSTILE.length * 3);
    for (const row of rows) expect(row.split(/(?<!\\)\|/)).toHaveLength(6);
    expect(text).not.toMatch(/<b>|(?<!\\)`/);
  });

  it('JUnit: python3 parses it and reads back each name, visibly', () => {
    const run = spawnSync('python3', ['-c', 'import sys, json, xml.etree.ElementTree as ET\nr = ET.fromstring(sys.stdin.buffer.read())\nprint(json.dumps([s.get("name") for s in r]))'], {
      input: renderJunit(hostileReport),
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    const names = JSON.parse(run.stdout) as string[];
    expect(names).toHaveLength(HOSTILE.length);
    for (const name of names) expect(name).not.toMatch(ACTIVE);
    expect(names[0]).toBe('nl\\nsplit.tar.gz');
    expect(names[7]).toBe('cdata]]>.tar.gz');
  });
});
