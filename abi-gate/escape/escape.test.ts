import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { markdownText, visible, visibleBytes, workflowMessage, workflowProperty, xmlAttribute, xmlText, shortenMiddle } from './index.js';

/** Names a hostile tarball, ELF file or manifest can carry. */
const HOSTILE = {
  newline: 'a\nb',
  esc: 'x\u001b[31mRED\u001b[0m',
  percent: 'evil%0A::error::fake',
  nul: 'x\u0000y',
  nel: 'line\u0085next',
  csi: 'c1\u009b2J',
  bidi: 'abc\u202edcba.txt',
  lsep: 'p\u2028q',
  loneHigh: 'hi\ud800',
  loneLow: '\udc00lo',
  cdataEnd: ']]><x/>',
  backslash: 'a\\x1b',
  emoji: 'ok 😀',
};

/** No character a terminal acts on: C0, DEL, C1, separators, bidi controls, lone surrogates. */
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('terminal', () => {
  it('shows every active character as an escape and leaves plain text alone', () => {
    expect(visible('node_modules/node-pty/build/Release/pty.node')).toBe('node_modules/node-pty/build/Release/pty.node');
    expect(visible(HOSTILE.newline)).toBe('a\\nb');
    expect(visible(HOSTILE.esc)).toBe('x\\x1b[31mRED\\x1b[0m');
    expect(visible(HOSTILE.nul)).toBe('x\\x00y');
    expect(visible(HOSTILE.nel)).toBe('line\\x85next');
    expect(visible(HOSTILE.csi)).toBe('c1\\x9b2J');
    expect(visible(HOSTILE.bidi)).toBe('abc\\u{202e}dcba.txt');
    expect(visible(HOSTILE.lsep)).toBe('p\\u{2028}q');
    expect(visible(HOSTILE.loneHigh)).toBe('hi\\u{d800}');
    expect(visible(HOSTILE.loneLow)).toBe('\\u{dc00}lo');
    expect(visible(HOSTILE.emoji)).toBe('ok 😀');
    // The backslash is doubled: a literal `\x1b` in a name never looks like an ESC.
    expect(visible(HOSTILE.backslash)).toBe('a\\\\x1b');
    expect(visible(HOSTILE.esc)).not.toBe(visible('x\\x1b[31mRED\\x1b[0m'));
    for (const text of Object.values(HOSTILE)) expect(visible(text)).not.toMatch(ACTIVE);
  });

  it('keeps real line breaks only when asked, each line escaped on its own', () => {
    expect(visible('one\ntwo\u001b', { keepNewlines: true })).toBe('one\ntwo\\x1b');
  });

  it('shows bytes that are not UTF-8 as \\xNN', () => {
    const bytes = Buffer.concat([Buffer.from('ok-'), Buffer.from([0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('é\n')]);
    expect(visibleBytes(bytes)).toBe('ok-\\xff\\xc3(\\xed\\xa0\\x80é\\n');
    // Overlong encodings of '/' are refused by UTF-8 (Unicode 15, table 3-7).
    expect(visibleBytes(Buffer.from([0xc0, 0xaf]))).toBe('\\xc0\\xaf');
  });

  it('shortens in the middle, never splitting a surrogate pair', () => {
    expect(shortenMiddle('abcdefghij', 5)).toBe('ab…ij');
    expect(shortenMiddle('abc', 5)).toBe('abc');
    expect([...shortenMiddle('😀😀😀😀😀😀😀', 5)]).toHaveLength(5);
  });
});

describe('github workflow commands', () => {
  it('encodes %, CR and LF in messages, and : and , in properties', () => {
    expect(workflowMessage(['100% done\r', 'next'])).toBe('100%25 done\\r%0Anext');
    expect(workflowProperty('a:b,c%d')).toBe('a%3Ab%2Cc%25d');
  });

  it('a hostile name cannot end the command or start another one', () => {
    for (const text of Object.values(HOSTILE)) {
      const line = `::error file=${workflowProperty(text)},title=${workflowProperty(text)}::${workflowMessage([text, text])}`;
      expect(line).not.toMatch(/[\r\n]/);
      expect(line).not.toMatch(ACTIVE);
      // The first `::` after the command name is ours: no property value ends the properties early.
      expect(line.indexOf('::', 2)).toBe(`::error file=${workflowProperty(text)},title=${workflowProperty(text)}`.length);
      expect(workflowProperty(text)).not.toMatch(/[:,]/);
    }
    // A literal `%0A` in a name stays literal text after the runner decodes it.
    expect(workflowMessage([HOSTILE.percent])).toBe('evil%250A::error::fake');
    expect(workflowProperty(HOSTILE.percent)).toBe('evil%250A%3A%3Aerror%3A%3Afake');
  });
});

describe('markdown', () => {
  it('escapes pipes, backticks, HTML, links and emphasis, one line', () => {
    const text = markdownText('a|b `c` <img src=x onerror=alert(1)> [l](http://e) ![i](http://e/p.png) *em* _u_ ~s~ $x$ &amp;\nrow');
    expect(text).not.toMatch(/(?<!\\)[|`*_[\]()!~$]/);
    expect(text).not.toMatch(/[<>\n]/);
    expect(text).toContain('&lt;img src=x onerror=alert\\(1\\)&gt;');
    expect(text).toContain('&amp;amp;');
    // The newline is shown as `\n`, whose backslash markdown then escapes.
    expect(text).toContain('\\\\nrow');
  });
});

describe('xml', () => {
  it('makes every hostile name parse back, visibly, with python3 (expat)', () => {
    const names = Object.values(HOSTILE);
    const doc =
      '<?xml version="1.0" encoding="UTF-8"?>\n<r>' +
      names.map((n) => `<e a="${xmlAttribute(n)}">${xmlText(n)}</e>`).join('') +
      `<e a="${xmlAttribute('\ufffe\uffff')}">${xmlText('two\nlines')}</e></r>`;
    const py = 'import sys, json, xml.etree.ElementTree as ET\nr = ET.fromstring(sys.stdin.buffer.read())\nprint(json.dumps([[e.get("a"), e.text] for e in r]))';
    const run = spawnSync('python3', ['-c', py], { input: doc, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const parsed = JSON.parse(run.stdout) as [string, string][];
    expect(parsed).toHaveLength(names.length + 1);
    names.forEach((name, i) => {
      expect(parsed[i]?.[0]).toBe(visible(name));
      expect(parsed[i]?.[1]).toBe(visible(name, { keepNewlines: true }));
    });
    expect(parsed[names.length]).toEqual(['\\u{fffe}\\u{ffff}', 'two\nlines']);
    expect(xmlText(HOSTILE.cdataEnd)).toBe(']]&gt;&lt;x/&gt;');
  });
});

describe('CLI error lines', () => {
  it('an error naming a hostile path stays one visible line', async () => {
    const { formatCliError } = await import('../cli-error.js');
    const { ToolError } = await import('../errors.js');
    const out = formatCliError('doctor', new ToolError('TARBALL_UNREADABLE', `cannot read ${HOSTILE.newline}${HOSTILE.esc}`, { hint: 'fix' }), false, [HOSTILE.nel]);
    expect(out.lines).toHaveLength(2);
    for (const line of out.lines) expect(line).not.toMatch(ACTIVE);
    expect(out.lines[0]).toContain('a\\nbx\\x1b[31m');
  });
});
