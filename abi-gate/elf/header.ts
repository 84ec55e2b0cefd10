import { MalformedElfError } from '../errors.js';
import type { ElfType, Endian, Machine } from '../types.js';
import {
  ELF_MAGIC,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  EM_386,
  EM_AARCH64,
  EM_ARM,
  EM_LOONGARCH,
  EM_MIPS,
  EM_PPC,
  EM_PPC64,
  EM_RISCV,
  EM_S390,
  EM_X86_64,
  ET_CORE,
  ET_DYN,
  ET_EXEC,
  ET_REL,
  SIZES32,
  SIZES64,
  type ClassSizes,
} from './constants.js';

export interface ElfHeader {
  class: 32 | 64;
  endian: Endian;
  type: number;
  elfType: ElfType;
  machineNumber: number;
  machine: Machine;
  phoff: number;
  phentsize: number;
  phnum: number;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
  sizes: ClassSizes;
  /** e_ident[EI_VERSION] and e_version: both must be EV_CURRENT (1) for the loader. */
  identVersion: number;
  version: number;
  /** e_ident[EI_OSABI] and e_ident[EI_ABIVERSION]. */
  osabi: number;
  abiVersion: number;
  /** True when a byte of e_ident[EI_PAD..EI_NIDENT) is not zero. */
  identPadding: boolean;
}

/** The ELF identification bytes alone: enough for format detection. */
export function elfIdent(head: Buffer): { class: 32 | 64; endian: Endian } | null {
  if (head.length < 6 || !head.subarray(0, 4).equals(ELF_MAGIC)) return null;
  const cls = head[4] === ELFCLASS32 ? 32 : head[4] === ELFCLASS64 ? 64 : null;
  const endian = head[5] === ELFDATA2LSB ? 'little' : head[5] === ELFDATA2MSB ? 'big' : null;
  if (cls === null || endian === null) return null;
  return { class: cls, endian };
}

export function machineName(em: number, cls: 32 | 64, endian: Endian): Machine {
  switch (em) {
    case EM_X86_64:
      return 'x86_64';
    case EM_AARCH64:
      return 'aarch64';
    case EM_ARM:
      return 'arm';
    case EM_386:
      return 'i386';
    case EM_PPC64:
      return endian === 'little' ? 'ppc64le' : 'ppc64';
    case EM_PPC:
      return 'ppc';
    case EM_S390:
      // ELFCLASS32 EM_S390 is the 31-bit s390, which no policy knows by name.
      return cls === 64 ? 's390x' : `em-${em}`;
    case EM_RISCV:
      return cls === 64 ? 'riscv64' : 'riscv32';
    case EM_MIPS:
      return cls === 64 ? 'mips64' : 'mips';
    case EM_LOONGARCH:
      return cls === 64 ? 'loongarch64' : `em-${em}`;
    default:
      return `em-${em}`;
  }
}

function elfTypeName(type: number): ElfType {
  switch (type) {
    case ET_REL:
      return 'relocatable';
    case ET_EXEC:
      return 'executable';
    case ET_DYN:
      return 'shared';
    case ET_CORE:
      return 'core';
    default:
      return 'other';
  }
}

/** Decodes the ELF header from the first bytes of the file (`head` holds at least 64 bytes when the file has them). */
export function parseHeader(head: Buffer, fileSize: number): ElfHeader {
  const ident = head.length >= 16 ? elfIdent(head) : null;
  if (head.length < 16 || !head.subarray(0, 4).equals(ELF_MAGIC)) {
    throw new MalformedElfError(`truncated ELF identification (${fileSize} bytes)`);
  }
  if (ident === null) {
    throw new MalformedElfError(`unknown ELF class ${head[4]} or data encoding ${head[5]}`);
  }
  const sizes = ident.class === 64 ? SIZES64 : SIZES32;
  if (head.length < sizes.ehdr) {
    throw new MalformedElfError(`truncated ELF header (${fileSize} bytes, the header alone is ${sizes.ehdr})`);
  }
  const le = ident.endian === 'little';
  const u16 = (at: number): number => (le ? head.readUInt16LE(at) : head.readUInt16BE(at));
  const u32 = (at: number): number => (le ? head.readUInt32LE(at) : head.readUInt32BE(at));
  const u64 = (at: number, what: string): number => {
    const v = le ? head.readBigUInt64LE(at) : head.readBigUInt64BE(at);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedElfError(`${what} is out of range (0x${v.toString(16)})`);
    return Number(v);
  };
  const type = u16(16);
  const machineNumber = u16(18);
  const is64 = ident.class === 64;
  return {
    class: ident.class,
    endian: ident.endian,
    type,
    elfType: elfTypeName(type),
    machineNumber,
    machine: machineName(machineNumber, ident.class, ident.endian),
    phoff: is64 ? u64(32, 'e_phoff') : u32(28),
    shoff: is64 ? u64(40, 'e_shoff') : u32(32),
    phentsize: u16(is64 ? 54 : 42),
    phnum: u16(is64 ? 56 : 44),
    shentsize: u16(is64 ? 58 : 46),
    shnum: u16(is64 ? 60 : 48),
    shstrndx: u16(is64 ? 62 : 50),
    sizes,
    identVersion: head[6] as number,
    version: u32(20),
    osabi: head[7] as number,
    abiVersion: head[8] as number,
    identPadding: head.subarray(9, 16).some((b) => b !== 0),
  };
}
