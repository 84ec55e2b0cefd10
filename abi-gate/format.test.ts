import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat, FORMAT_SNIFF_BYTES } from './format.js';
import { readelfHeader } from './test-support/binutils.js';

const root = join(import.meta.dirname, '..', 'fixtures');
const head = (path: string): Buffer => readFileSync(path).subarray(0, FORMAT_SNIFF_BYTES);

function machO(magicBE: number, cputype: number, little: boolean): Buffer {
  const b = Buffer.alloc(64);
  if (little) {
    b.writeUInt32LE(magicBE, 0);
    b.writeUInt32LE(cputype, 4);
  } else {
    b.writeUInt32BE(magicBE, 0);
    b.writeUInt32BE(cputype, 4);
  }
  return b;
}

function fat(magic: number, cputypes: number[]): Buffer {
  const entry = magic === 0xcafebabf ? 32 : 20;
  const b = Buffer.alloc(8 + cputypes.length * entry);
  b.writeUInt32BE(magic, 0);
  b.writeUInt32BE(cputypes.length, 4);
  cputypes.forEach((c, i) => b.writeUInt32BE(c, 8 + i * entry));
  return b;
}

describe('detectFormat', () => {
  it('ELF: class and machine as readelf -h reports them, for every byte order and class', () => {
    for (const name of ['symver-glibc-2.28.so', 's390x-hello.so', 'arm-gnueabihf-hello.so', 'i686-hello.so', 'aarch64-hello.so']) {
      const path = join(root, 'elf', name);
      const expected = readelfHeader(path);
      expect(detectFormat(head(path))).toMatchObject({ format: 'elf', class: expected.class, machine: expected.machine, endian: expected.endian });
    }
  });

  it('ELF magic with an unknown class is still an ELF (to be reported malformed)', () => {
    const b = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 9, 9, 1, 0]);
    expect(detectFormat(b)).toEqual({ format: 'elf' });
  });

  it('thin Mach-O: 32/64-bit, both byte orders', () => {
    expect(detectFormat(machO(0xfeedfacf, 0x01000007, true))).toEqual({ format: 'macho', class: 64, endian: 'little', machine: 'x86_64' });
    expect(detectFormat(machO(0xfeedfacf, 0x0100000c, true))).toEqual({ format: 'macho', class: 64, endian: 'little', machine: 'arm64' });
    expect(detectFormat(machO(0xfeedface, 7, true))).toEqual({ format: 'macho', class: 32, endian: 'little', machine: 'i386' });
    expect(detectFormat(machO(0xfeedface, 18, false))).toEqual({ format: 'macho', class: 32, endian: 'big', machine: 'ppc' });
    expect(detectFormat(machO(0xfeedfacf, 0x01000012, false))).toEqual({ format: 'macho', class: 64, endian: 'big', machine: 'ppc64' });
  });

  it('universal Mach-O, FAT_MAGIC and FAT_MAGIC_64', () => {
    expect(detectFormat(fat(0xcafebabe, [0x01000007, 0x0100000c]))).toEqual({ format: 'macho', machine: 'universal', slices: ['x86_64', 'arm64'] });
    expect(detectFormat(fat(0xcafebabf, [0x0100000c]))).toEqual({ format: 'macho', machine: 'universal', slices: ['arm64'] });
  });

  it('the Mach-O fixtures (llvm-lipo: x86_64 arm64)', () => {
    expect(detectFormat(head(join(root, 'formats', 'macho-x86_64.node')))).toMatchObject({ format: 'macho', machine: 'x86_64', class: 64 });
    expect(detectFormat(head(join(root, 'formats', 'macho-arm64.node')))).toMatchObject({ format: 'macho', machine: 'arm64', class: 64 });
    expect(detectFormat(head(join(root, 'formats', 'macho-universal.node')))).toEqual({
      format: 'macho',
      machine: 'universal',
      slices: ['x86_64', 'arm64'],
    });
  });

  it('a Java class file shares 0xCAFEBABE but is not Mach-O', () => {
    expect(detectFormat(head(join(root, 'formats', 'java-class.node')))).toBeNull();
    const cls = Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 65, 0, 10]);
    expect(detectFormat(cls)).toBeNull();
  });

  it('PE: MZ plus PE\\0\\0 at e_lfanew, machine and PE32+', () => {
    expect(detectFormat(head(join(root, 'formats', 'pe-x64.node')))).toEqual({ format: 'pe', machine: 'x86_64', class: 64, endian: 'little' });
    const pe = Buffer.alloc(0x100);
    pe.write('MZ', 0, 'latin1');
    pe.writeUInt32LE(0x80, 0x3c);
    pe.write('PE\0\0', 0x80, 'latin1');
    pe.writeUInt16LE(0x14c, 0x84);
    pe.writeUInt16LE(0x10b, 0x80 + 24);
    expect(detectFormat(pe)).toEqual({ format: 'pe', machine: 'i386', class: 32, endian: 'little' });
    // A DOS program (MZ without a PE header) is no native binary of interest.
    pe.write('XX', 0x80, 'latin1');
    expect(detectFormat(pe)).toBeNull();
  });

  it('text, tiny and empty files are not binaries', () => {
    expect(detectFormat(Buffer.from('#!/bin/sh\necho hi\n'))).toBeNull();
    expect(detectFormat(Buffer.from([0x7f, 0x45]))).toBeNull();
    expect(detectFormat(Buffer.alloc(0))).toBeNull();
    expect(detectFormat(Buffer.from('MZ'))).toBeNull();
  });
});
