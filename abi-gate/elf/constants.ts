/**
 * ELF numbers from the System V gABI and the GNU symbol-versioning extension (binutils
 * include/elf/common.h). Only the ones abi-gate reads.
 */

export const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

/** e_phnum value meaning "the real count is in section 0's sh_info" (extended numbering). */
export const PN_XNUM = 0xffff;

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;

export const SHT_DYNAMIC = 6;
export const SHT_DYNSYM = 11;
export const SHT_GNU_VERDEF = 0x6ffffffd;
export const SHT_GNU_VERNEED = 0x6ffffffe;
export const SHT_GNU_VERSYM = 0x6fffffff;

export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_PLTRELSZ = 2;
export const DT_RELA = 7;
export const DT_RELASZ = 8;
export const DT_REL = 17;
export const DT_RELSZ = 18;
export const DT_PLTREL = 20;
export const DT_JMPREL = 23;
export const DT_HASH = 4;
export const DT_STRTAB = 5;
export const DT_SYMTAB = 6;
export const DT_STRSZ = 10;
export const DT_SYMENT = 11;
export const DT_SONAME = 14;
export const DT_RPATH = 15;
export const DT_RUNPATH = 29;
export const DT_GNU_HASH = 0x6ffffef5;
export const DT_VERSYM = 0x6ffffff0;
export const DT_FLAGS_1 = 0x6ffffffb;
export const DT_VERDEF = 0x6ffffffc;
export const DT_VERDEFNUM = 0x6ffffffd;
export const DT_VERNEED = 0x6ffffffe;
export const DT_VERNEEDNUM = 0x6fffffff;

export const DF_1_PIE = 0x08000000;

/** e_ident[EI_OSABI] values glibc's loader accepts (elf/dl-load.c, VALID_ELF_OSABI). */
export const ELFOSABI_SYSV = 0;
export const ELFOSABI_GNU = 3;
export const EV_CURRENT = 1;

export const SHN_UNDEF = 0;

/** vna_flags / vd_flags bits. */
export const VER_FLG_BASE = 0x1;
export const VER_FLG_WEAK = 0x2;
/** versym: the low 15 bits are the version index, the top bit hides the symbol from linking. */
export const VERSYM_INDEX_MASK = 0x7fff;
export const VER_NDX_LOCAL = 0;
export const VER_NDX_GLOBAL = 1;

export const EM_386 = 3;
export const EM_MIPS = 8;
export const EM_PPC = 20;
export const EM_PPC64 = 21;
export const EM_S390 = 22;
export const EM_ARM = 40;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;
export const EM_LOONGARCH = 258;

/** Sizes of the fixed records, per class where they differ. */
export interface ClassSizes {
  ehdr: number;
  phdr: number;
  shdr: number;
  sym: number;
  dyn: number;
  /** Bloom filter word of DT_GNU_HASH: the class's address size. */
  word: number;
}

export const SIZES32: ClassSizes = { ehdr: 52, phdr: 32, shdr: 40, sym: 16, dyn: 8, word: 4 };
export const SIZES64: ClassSizes = { ehdr: 64, phdr: 56, shdr: 64, sym: 24, dyn: 16, word: 8 };

/** Elf_Verneed, Elf_Vernaux, Elf_Verdef, Elf_Verdaux: the same size in both classes. */
export const VERNEED_SIZE = 16;
export const VERNAUX_SIZE = 16;
export const VERDEF_SIZE = 20;
export const VERDAUX_SIZE = 8;
