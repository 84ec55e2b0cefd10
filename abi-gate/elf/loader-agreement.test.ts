import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanBuffer, scanFile } from '../scan-file.js';
import { buildElf } from '../test-support/elf-builder.js';
import { ELF_FIXTURES } from '../test-support/fixtures.js';
import type { LoaderRule, ScanEntry, ScannedFile } from '../types.js';

/**
 * abi-gate's loader verdicts against the real loader of this machine: node's process.dlopen
 * (glibc's dlopen, what a server does with an addon) and `ld.so --list`. Each hostile file
 * breaks one rule of glibc elf/dl-load.c; abi-gate must refuse it for that rule, and the real
 * loader must refuse it too (or crash), while the unbroken file loads in both.
 */

const LOADER = '/lib64/ld-linux-x86-64.so.2';
const here = process.platform === 'linux' && process.arch === 'x64' && existsSync(LOADER);
const tmp = mkdtempSync(join(tmpdir(), 'abi-gate-loader-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Outcome = { loads: true } | { loads: false; error: string };

/** What node's dlopen makes of the file: loads (even if it then registers nothing), an error, or a crash. */
function dlopen(path: string): Outcome {
  const script = `try { process.dlopen({ exports: {} }, ${JSON.stringify(path)}); console.log('LOADED') } catch (e) { console.log(e.message.split('\\n')[0]) }`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (run.signal !== null) return { loads: false, error: `crashed (${run.signal})` };
  const line = run.stdout.trim();
  // "did not self-register" / "no declared entry point": dlopen succeeded, node found no module.
  if (line === 'LOADED' || /did not self-register|has no declared entry point/.test(line)) return { loads: true };
  return { loads: false, error: line };
}

function ldsoList(path: string): Outcome {
  const run = spawnSync(LOADER, ['--list', path], { encoding: 'utf8' });
  if (run.signal !== null) return { loads: false, error: `crashed (${run.signal})` };
  const text = `${run.stderr}${run.stdout}`;
  return run.status === 0 && !/not found|error while loading/.test(text) ? { loads: true } : { loads: false, error: text.trim().split('\n')[0] ?? '' };
}

function scanned(entry: ScanEntry | null): ScannedFile {
  expect(entry).not.toBeNull();
  expect(entry).not.toHaveProperty('error');
  return entry as ScannedFile;
}

/** The loader's own words for each rule (glibc elf/dl-load.c), or null where it crashes instead. */
const WORDS: Record<string, { rule: LoaderRule; error: RegExp }> = {
  osabi: { rule: 'osabi', error: /ELF file OS ABI invalid/ },
  'abi-version': { rule: 'abi-version', error: /ELF file ABI version invalid/ },
  'ident-padding': { rule: 'ident-padding', error: /nonzero padding in e_ident/ },
  'hidden-dynamic': { rule: 'no-dynamic', error: /object file has no dynamic section/ },
  'dynamic-outside': { rule: 'dynamic-outside-load', error: /crashed/ },
  'exec-type': { rule: 'type', error: /cannot dynamically load executable/ },
  'no-load': { rule: 'no-load', error: /object file has no loadable segments/ },
};

describe.skipIf(!here)('loader verdicts agree with the real glibc loader (x86_64 Linux only)', { timeout: 60_000 }, () => {
  it('the unbroken addon loads in node and abi-gate sees no refusal', () => {
    const good = join(ELF_FIXTURES, 'napi-addon.node');
    expect(dlopen(good)).toEqual({ loads: true });
    expect(scanned(scanFile(good)).refusals).toEqual([]);
  });

  const refused = readdirSync(join(ELF_FIXTURES, 'fail-closed', 'refused')).sort();
  it('covers every rule the fixture script breaks', () => {
    expect(refused.map((f) => f.replace(/\.node$/, ''))).toEqual(Object.keys(WORDS).sort());
  });

  it.each(refused)('fail-closed/refused/%s: node refuses it, and abi-gate names the same rule', (name) => {
    const path = resolve(ELF_FIXTURES, 'fail-closed', 'refused', name);
    const expected = WORDS[name.replace(/\.node$/, '')];
    expect(expected).toBeDefined();
    const real = dlopen(path);
    expect(real.loads).toBe(false);
    if (!real.loads) expect(real.error).toMatch(expected!.error);
    const entry = scanned(scanFile(path));
    expect(entry.refusals?.map((r) => r.rule)).toEqual([expected!.rule]);
    // Never "static, needs nothing".
    expect(entry.libc).not.toBe('static');
    if (expected!.error.source !== 'crashed') expect(entry.refusals?.[0]?.message).toMatch(expected!.error);
  });

  describe('files made by elf-builder, one field at a time, against ld.so --list', () => {
    const base = () =>
      buildElf({
        needed: ['libc.so.6'],
        verneed: [{ file: 'libc.so.6', entries: [{ name: 'GLIBC_2.2.5', index: 2 }] }],
        symbols: [{ name: 'memcpy', version: 2 }],
        verdef: [{ name: 'libagree.so', index: 1, base: true }],
      });
    const cases: Array<[string, (b: ReturnType<typeof base>) => void, LoaderRule | null]> = [
      ['unchanged', () => undefined, null],
      ['EI_OSABI 3 (GNU)', ({ buf }) => void (buf[7] = 3), null],
      ['EI_OSABI 97 (ARM)', ({ buf }) => void (buf[7] = 97), 'osabi'],
      ['EI_ABIVERSION 1 with SYSV', ({ buf }) => void (buf[8] = 1), 'abi-version'],
      ['EI_ABIVERSION 2 with GNU (IFUNC)', ({ buf }) => void ((buf[7] = 3), (buf[8] = 2)), null],
      ['EI_ABIVERSION 5 with GNU', ({ buf }) => void ((buf[7] = 3), (buf[8] = 5)), 'abi-version'],
      ['e_ident[15] = 1', ({ buf }) => void (buf[15] = 1), 'ident-padding'],
      ['EI_VERSION 2', ({ buf }) => void (buf[6] = 2), 'ident-version'],
      ['e_version 2', ({ buf }) => void buf.writeUInt32LE(2, 20), 'elf-version'],
      ['e_phentsize 60', ({ buf }) => void buf.writeUInt16LE(60, 54), 'phentsize'],
      ['e_type ET_REL', ({ buf }) => void buf.writeUInt16LE(1, 16), 'type'],
      ['PT_DYNAMIC hidden as PT_NULL', ({ buf, at }) => void buf.writeUInt32LE(0, at.phdrs + 56), 'no-dynamic'],
      ['PT_LOAD hidden as PT_NULL', ({ buf, at }) => void buf.writeUInt32LE(0, at.phdrs), 'no-load'],
    ];
    it.each(cases)('%s', (label, breakIt, rule) => {
      const built = base();
      breakIt(built);
      const path = join(tmp, `${label.replace(/\W+/g, '-')}.so`);
      writeFileSync(path, built.buf);
      const entry = scanned(scanBuffer(built.buf, path));
      expect(entry.refusals?.map((r) => r.rule)).toEqual(rule === null ? [] : [rule]);
      const real = ldsoList(path);
      expect(real.loads, `ld.so --list: ${real.loads ? 'loaded' : real.error}`).toBe(rule === null);
      if (!real.loads && rule !== null) {
        // abi-gate's message carries the loader's own words.
        const words = /: ([^:]+)$/.exec(real.error)?.[1];
        expect(entry.refusals?.[0]?.message).toContain(words);
      }
    });
  });
});
