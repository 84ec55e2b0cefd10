/**
 * An independent cross-check of the header fields with the `elf-tools` package (the parser the
 * design first named). It decodes headers and program headers only: no version sections, no
 * aarch64 machine name, and it throws on a section-stripped file, which is why abi-gate has its
 * own reader (README, "Why not elf-tools"). Where it does read a file, it must agree with ours.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BufferSource } from './byte-source.js';
import { PT_DYNAMIC, PT_INTERP, PT_LOAD } from './constants.js';
import { parseHeader } from './header.js';
import { readProgramHeaders } from './program-headers.js';
import { ElfReader } from './reader.js';
import { ELF_FIXTURES, elfFilesUnder } from '../test-support/fixtures.js';

interface ElfToolsProgram {
  header: { type: string; offset: number; vaddr: number; filesz: number; memsz: number };
}
interface ElfToolsParsed {
  header: {
    class: '32' | '64';
    endian: 'lsb' | 'msb';
    type: string;
    machine: string | undefined;
    phoff: number;
    phnum: number;
    shoff: number;
    shnum: number;
  };
  programs: ElfToolsProgram[];
}
const elfTools = createRequire(import.meta.url)('elf-tools') as { parse(bytes: Buffer): ElfToolsParsed };

/** elf-tools' machine names for the ones it knows; others it leaves undefined. */
const MACHINES: Record<string, string> = { amd64: 'x86_64', x86: 'i386', arm: 'arm', s390: 's390x' };
const TYPES: Record<string, string> = { dyn: 'shared', exec: 'executable', rel: 'relocatable' };
const SEGMENT_TYPES: Record<number, string> = { [PT_LOAD]: 'load', [PT_DYNAMIC]: 'dynamic', [PT_INTERP]: 'interp' };

const withSections = elfFilesUnder(ELF_FIXTURES).filter((path) => !path.includes('-nosections'));

describe('header fields agree with elf-tools', () => {
  it('has fixtures to compare', () => {
    expect(withSections.length).toBeGreaterThan(20);
  });

  for (const path of withSections) {
    it(path, () => {
      const bytes = readFileSync(join(ELF_FIXTURES, path));
      // elf-tools writes into the buffer it parses: hand it a copy.
      const theirs = elfTools.parse(Buffer.from(bytes));
      const header = parseHeader(bytes.subarray(0, 64), bytes.length);
      expect(String(header.class)).toBe(theirs.header.class);
      expect(header.endian).toBe(theirs.header.endian === 'lsb' ? 'little' : 'big');
      expect(header.elfType).toBe(TYPES[theirs.header.type] ?? 'other');
      if (theirs.header.machine !== undefined && MACHINES[theirs.header.machine] !== undefined) {
        expect(header.machine).toBe(MACHINES[theirs.header.machine]);
      }
      expect([header.phoff, header.phnum, header.shoff, header.shnum]).toEqual([
        theirs.header.phoff,
        theirs.header.phnum,
        theirs.header.shoff,
        theirs.header.shnum,
      ]);

      const reader = new ElfReader(new BufferSource(bytes), bytes.subarray(0, 64), header.endian === 'little', header.class === 64);
      const segments = readProgramHeaders(reader, header);
      const ours = [...segments.loads, segments.dynamic, segments.interp]
        .filter((segment) => segment !== null)
        .map((s) => ({ type: SEGMENT_TYPES[s.type], offset: s.offset, vaddr: s.vaddr, filesz: s.filesz, memsz: s.memsz }));
      const theirSegments = theirs.programs
        .map((p) => p.header)
        .filter((p) => p.type === 'load' || p.type === 'dynamic' || p.type === 'interp')
        .map((p) => ({ type: p.type, offset: p.offset, vaddr: p.vaddr, filesz: p.filesz, memsz: p.memsz }));
      const order = (a: { type?: string; offset: number }, b: { type?: string; offset: number }): number =>
        (a.type ?? '').localeCompare(b.type ?? '') || a.offset - b.offset;
      expect(ours.sort(order)).toEqual(theirSegments.sort(order));
    });
  }

  it('elf-tools cannot read a section-stripped file that the loader runs and abi-gate reads', () => {
    const stripped = readFileSync(join(ELF_FIXTURES, 'symver-glibc-2.28-nosections.so'));
    expect(() => elfTools.parse(stripped)).toThrow();
  });
});
