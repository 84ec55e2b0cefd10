import { elfIdent, machineName } from './elf/header.js';
import type { BinaryFormat, Endian, Machine } from './types.js';

/**
 * Native binaries are recognised by magic, never by name: a `.node` can be a Mach-O built on a
 * Mac, and an extension-less `bin/foo` an ELF.
 */

/**
 * Bytes of a file's start that `detectFormat` needs. PE keeps its signature at e_lfanew, which
 * linkers put at 0x40..0x100 (mingw: 0x80); a PE whose header lies beyond this is not recognised.
 */
export const FORMAT_SNIFF_BYTES = 512;

export interface DetectedFormat {
  format: BinaryFormat;
  machine?: Machine;
  class?: 32 | 64;
  endian?: Endian;
  /** Universal Mach-O: the architectures inside. */
  slices?: Machine[];
}

const CPU_ARCH_ABI64 = 0x01000000;

function machOMachine(cputype: number): Machine {
  switch (cputype) {
    case 7:
      return 'i386';
    case 7 | CPU_ARCH_ABI64:
      return 'x86_64';
    case 12:
      return 'arm';
    case 12 | CPU_ARCH_ABI64:
      return 'arm64';
    case 18:
      return 'ppc';
    case 18 | CPU_ARCH_ABI64:
      return 'ppc64';
    default:
      return 'unknown';
  }
}

function peMachine(machine: number): Machine {
  switch (machine) {
    case 0x8664:
      return 'x86_64';
    case 0x14c:
      return 'i386';
    case 0xaa64:
      return 'arm64';
    case 0x1c0:
    case 0x1c2:
    case 0x1c4:
      return 'arm';
    default:
      return 'unknown';
  }
}

/**
 * A universal binary has a handful of slices; a Java class file shares the 0xCAFEBABE magic,
 * but there the next word is its minor/major version (major 45 or more), far above this.
 */
const MAX_FAT_ARCHS = 30;

function detectFat(head: Buffer, is64: boolean): DetectedFormat | null {
  if (head.length < 8) return null;
  const n = head.readUInt32BE(4);
  if (n === 0 || n >= MAX_FAT_ARCHS) return null;
  const entry = is64 ? 32 : 20;
  const slices: Machine[] = [];
  for (let i = 0; i < n && 8 + (i + 1) * entry <= head.length; i += 1) {
    slices.push(machOMachine(head.readUInt32BE(8 + i * entry)));
  }
  return { format: 'macho', machine: 'universal', slices };
}

function detectPe(head: Buffer): DetectedFormat | null {
  if (head.length < 0x40) return null;
  const lfanew = head.readUInt32LE(0x3c);
  // Signature (4), COFF machine (2) ... optional header magic at +24 (2).
  if (lfanew < 0x40 || lfanew + 26 > head.length) return null;
  if (head.readUInt32BE(lfanew) !== 0x50450000) return null;
  const magic = head.readUInt16LE(lfanew + 24);
  const cls = magic === 0x20b ? 64 : magic === 0x10b ? 32 : undefined;
  const detected: DetectedFormat = { format: 'pe', machine: peMachine(head.readUInt16LE(lfanew + 4)), endian: 'little' };
  if (cls !== undefined) detected.class = cls;
  return detected;
}

/** The format of a file from its first bytes (`FORMAT_SNIFF_BYTES` of them, or the whole file if shorter). */
export function detectFormat(head: Buffer): DetectedFormat | null {
  if (head.length < 4) return null;
  const ident = elfIdent(head);
  if (ident !== null) {
    const detected: DetectedFormat = { format: 'elf', class: ident.class, endian: ident.endian };
    if (head.length >= 20) {
      const em = ident.endian === 'little' ? head.readUInt16LE(18) : head.readUInt16BE(18);
      detected.machine = machineName(em, ident.class, ident.endian);
    }
    return detected;
  }
  if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) {
    // ELF magic with an unknown class or byte order: still an ELF file, and a malformed one.
    return { format: 'elf' };
  }
  const be = head.readUInt32BE(0);
  const le = head.readUInt32LE(0);
  if (be === 0xcafebabe) return detectFat(head, false);
  if (be === 0xcafebabf) return detectFat(head, true);
  for (const [magic, cls] of [
    [0xfeedface, 32],
    [0xfeedfacf, 64],
  ] as const) {
    if (be === magic || le === magic) {
      const endian: Endian = be === magic ? 'big' : 'little';
      if (head.length < 8) return { format: 'macho', class: cls, endian };
      const cputype = endian === 'big' ? head.readUInt32BE(4) : head.readUInt32LE(4);
      return { format: 'macho', class: cls, endian, machine: machOMachine(cputype) };
    }
  }
  if (head[0] === 0x4d && head[1] === 0x5a) return detectPe(head);
  return null;
}
