/**
 * Builds small, valid ELF shared objects with exactly the dynamic tables a test asks for, and
 * says where each table landed, so hostile-input tests can corrupt one field at a time.
 * The output is real ELF: readelf reads it, and tests check the builder against readelf.
 */

export interface BuildSymbol {
  name: string;
  /** versym index: 0 local, 1 global, else a vernaux `index`. */
  version: number;
  defined?: boolean;
}

export interface BuildSpec {
  class?: 32 | 64;
  endian?: 'little' | 'big';
  machine?: number;
  interp?: string;
  needed?: string[];
  soname?: string;
  runpath?: string;
  verneed?: Array<{ file: string; entries: Array<{ name: string; index: number; weak?: boolean }> }>;
  /** Version definitions; the first is usually the BASE one (the file's own name). */
  verdef?: Array<{ name: string; index: number; base?: boolean; parents?: string[] }>;
  symbols?: BuildSymbol[];
  /** Write a section header table (default true). */
  sections?: boolean;
}

export interface BuiltElf {
  buf: Buffer;
  /** File offsets of the tables (vaddr = offset + BASE_VADDR). */
  at: {
    phdrs: number;
    dynstr: number;
    dynsym: number;
    versym: number;
    verneed: number;
    verdef: number;
    hash: number;
    dynamic: number;
    shdrs: number;
  };
  /** Index of each dynamic entry by tag name. */
  dynamicIndex: Record<string, number>;
  strings: Map<string, number>;
}

export const BASE_VADDR = 0x10000;

const DT = {
  NULL: 0,
  NEEDED: 1,
  HASH: 4,
  STRTAB: 5,
  SYMTAB: 6,
  STRSZ: 10,
  SYMENT: 11,
  SONAME: 14,
  RUNPATH: 29,
  VERSYM: 0x6ffffff0,
  VERDEF: 0x6ffffffc,
  VERDEFNUM: 0x6ffffffd,
  VERNEED: 0x6ffffffe,
  VERNEEDNUM: 0x6fffffff,
};

export function buildElf(spec: BuildSpec): BuiltElf {
  const is64 = (spec.class ?? 64) === 64;
  const le = (spec.endian ?? 'little') === 'little';
  const verneed = spec.verneed ?? [];
  const verdef = spec.verdef ?? [];
  const symbols: BuildSymbol[] = [{ name: '', version: 0, defined: false }, ...(spec.symbols ?? [])];
  const withSections = spec.sections ?? true;

  // String table.
  const strings = new Map<string, number>();
  const strParts: Buffer[] = [Buffer.from([0])];
  let strSize = 1;
  const str = (s: string): number => {
    if (s === '') return 0;
    const known = strings.get(s);
    if (known !== undefined) return known;
    strings.set(s, strSize);
    const b = Buffer.from(`${s}\0`, 'utf8');
    strParts.push(b);
    strSize += b.length;
    return strings.get(s) as number;
  };
  for (const n of spec.needed ?? []) str(n);
  if (spec.soname !== undefined) str(spec.soname);
  if (spec.runpath !== undefined) str(spec.runpath);
  for (const v of verneed) {
    str(v.file);
    for (const e of v.entries) str(e.name);
  }
  for (const d of verdef) for (const n of [d.name, ...(d.parents ?? [])]) str(n);
  for (const s of symbols) str(s.name);
  const dynstr = Buffer.concat(strParts);

  const ehdr = is64 ? 64 : 52;
  const phent = is64 ? 56 : 32;
  const symEnt = is64 ? 24 : 16;
  const dynEnt = is64 ? 16 : 8;
  const phnum = spec.interp !== undefined ? 3 : 2;
  // s390x (like Alpha) writes DT_HASH with 8-byte words (binutils elf64-s390.c).
  const hashWord = is64 && spec.machine === 22 ? 8 : 4;
  const align = (n: number, a: number): number => Math.ceil(n / a) * a;

  const at = { phdrs: ehdr, dynstr: 0, dynsym: 0, versym: 0, verneed: 0, verdef: 0, hash: 0, dynamic: 0, shdrs: 0 };
  let cursor = ehdr + phnum * phent;
  const interpAt = cursor;
  if (spec.interp !== undefined) cursor += spec.interp.length + 1;
  at.dynstr = cursor;
  cursor = align(cursor + dynstr.length, 8);
  at.dynsym = cursor;
  cursor += symbols.length * symEnt;
  at.versym = cursor;
  cursor = align(cursor + symbols.length * 2, 8);
  at.verneed = cursor;
  const verneedSize = verneed.reduce((n, v) => n + 16 + v.entries.length * 16, 0);
  cursor = align(cursor + verneedSize, 8);
  at.verdef = cursor;
  const verdefSize = verdef.reduce((n, d) => n + 20 + (1 + (d.parents ?? []).length) * 8, 0);
  cursor = align(cursor + verdefSize, 8);
  at.hash = cursor;
  cursor += (2 + 1 + symbols.length) * hashWord;
  cursor = align(cursor, 8);
  at.dynamic = cursor;

  const dyn: Array<[number, number, string]> = [];
  for (const n of spec.needed ?? []) dyn.push([DT.NEEDED, str(n), 'NEEDED']);
  if (spec.soname !== undefined) dyn.push([DT.SONAME, str(spec.soname), 'SONAME']);
  if (spec.runpath !== undefined) dyn.push([DT.RUNPATH, str(spec.runpath), 'RUNPATH']);
  dyn.push([DT.HASH, BASE_VADDR + at.hash, 'HASH']);
  dyn.push([DT.STRTAB, BASE_VADDR + at.dynstr, 'STRTAB']);
  dyn.push([DT.SYMTAB, BASE_VADDR + at.dynsym, 'SYMTAB']);
  dyn.push([DT.STRSZ, dynstr.length, 'STRSZ']);
  dyn.push([DT.SYMENT, symEnt, 'SYMENT']);
  dyn.push([DT.VERSYM, BASE_VADDR + at.versym, 'VERSYM']);
  if (verneed.length > 0) {
    dyn.push([DT.VERNEED, BASE_VADDR + at.verneed, 'VERNEED']);
    dyn.push([DT.VERNEEDNUM, verneed.length, 'VERNEEDNUM']);
  }
  if (verdef.length > 0) {
    dyn.push([DT.VERDEF, BASE_VADDR + at.verdef, 'VERDEF']);
    dyn.push([DT.VERDEFNUM, verdef.length, 'VERDEFNUM']);
  }
  dyn.push([DT.NULL, 0, 'NULL']);
  cursor += dyn.length * dynEnt;
  const loadEnd = cursor;
  const shstrtab = Buffer.from('\0.dynstr\0.dynsym\0.gnu.version\0.gnu.version_r\0.dynamic\0.shstrtab\0.gnu.version_d\0');
  const shstrAt = cursor;
  cursor = align(cursor + shstrtab.length, 8);
  at.shdrs = cursor;
  const shEnt = is64 ? 64 : 40;
  const shnum = withSections ? 8 : 0;
  const size = withSections ? cursor + shnum * shEnt : loadEnd;
  const buf = Buffer.alloc(size);

  const w8 = (v: number, o: number): void => void buf.writeUInt8(v, o);
  const w16 = (v: number, o: number): void => void (le ? buf.writeUInt16LE(v, o) : buf.writeUInt16BE(v, o));
  const w32 = (v: number, o: number): void => void (le ? buf.writeUInt32LE(v >>> 0, o) : buf.writeUInt32BE(v >>> 0, o));
  const wW = (v: number, o: number): void => {
    if (is64) void (le ? buf.writeBigUInt64LE(BigInt(v), o) : buf.writeBigUInt64BE(BigInt(v), o));
    else w32(v, o);
  };

  // ELF header.
  buf.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1], 0);
  w16(3, 16); // ET_DYN
  w16(spec.machine ?? (is64 ? 62 : 3), 18);
  w32(1, 20);
  if (is64) {
    wW(at.phdrs, 32);
    wW(withSections ? at.shdrs : 0, 40);
    w16(ehdr, 52);
    w16(phent, 54);
    w16(phnum, 56);
    w16(withSections ? shEnt : 0, 58);
    w16(shnum, 60);
    w16(withSections ? 6 : 0, 62);
  } else {
    w32(at.phdrs, 28);
    w32(withSections ? at.shdrs : 0, 32);
    w16(ehdr, 40);
    w16(phent, 42);
    w16(phnum, 44);
    w16(withSections ? shEnt : 0, 46);
    w16(shnum, 48);
    w16(withSections ? 6 : 0, 50);
  }

  // Program headers.
  const phdr = (i: number, type: number, offset: number, filesz: number): void => {
    const o = at.phdrs + i * phent;
    w32(type, o);
    if (is64) {
      w32(type === 1 ? 7 : 6, o + 4);
      wW(offset, o + 8);
      wW(BASE_VADDR + offset, o + 16);
      wW(BASE_VADDR + offset, o + 24);
      wW(filesz, o + 32);
      wW(filesz, o + 40);
      wW(type === 1 ? 0x1000 : 8, o + 48);
    } else {
      w32(offset, o + 4);
      w32(BASE_VADDR + offset, o + 8);
      w32(BASE_VADDR + offset, o + 12);
      w32(filesz, o + 16);
      w32(filesz, o + 20);
      w32(type === 1 ? 7 : 6, o + 24);
      w32(type === 1 ? 0x1000 : 4, o + 28);
    }
  };
  phdr(0, 1, 0, loadEnd);
  phdr(1, 2, at.dynamic, dyn.length * dynEnt);
  if (spec.interp !== undefined) {
    phdr(2, 3, interpAt, spec.interp.length + 1);
    buf.write(`${spec.interp}\0`, interpAt, 'utf8');
  }

  dynstr.copy(buf, at.dynstr);

  symbols.forEach((s, i) => {
    const o = at.dynsym + i * symEnt;
    w32(str(s.name), o);
    const info = i === 0 ? 0 : (1 << 4) | 2; // GLOBAL FUNC
    const shndx = s.defined === true ? 7 : 0;
    if (is64) {
      w8(info, o + 4);
      w16(shndx, o + 6);
    } else {
      w8(info, o + 12);
      w16(shndx, o + 14);
    }
    w16(s.version, at.versym + i * 2);
  });

  let o = at.verneed;
  verneed.forEach((v, i) => {
    w16(1, o);
    w16(v.entries.length, o + 2);
    w32(str(v.file), o + 4);
    w32(16, o + 8);
    w32(i === verneed.length - 1 ? 0 : 16 + v.entries.length * 16, o + 12);
    v.entries.forEach((e, j) => {
      const a = o + 16 + j * 16;
      w32(elfHash(e.name), a);
      w16(e.weak === true ? 2 : 0, a + 4);
      w16(e.index, a + 6);
      w32(str(e.name), a + 8);
      w32(j === v.entries.length - 1 ? 0 : 16, a + 12);
    });
    o += 16 + v.entries.length * 16;
  });

  let d = at.verdef;
  verdef.forEach((def, i) => {
    const names = [def.name, ...(def.parents ?? [])];
    w16(1, d);
    w16(def.base === true ? 1 : 0, d + 2);
    w16(def.index, d + 4);
    w16(names.length, d + 6);
    w32(elfHash(def.name), d + 8);
    w32(20, d + 12);
    w32(i === verdef.length - 1 ? 0 : 20 + names.length * 8, d + 16);
    names.forEach((n, j) => {
      w32(str(n), d + 20 + j * 8);
      w32(j === names.length - 1 ? 0 : 8, d + 20 + j * 8 + 4);
    });
    d += 20 + names.length * 8;
  });

  if (hashWord === 8) {
    wW(1, at.hash);
    wW(symbols.length, at.hash + 8);
  } else {
    w32(1, at.hash);
    w32(symbols.length, at.hash + 4);
  }

  const dynamicIndex: Record<string, number> = {};
  dyn.forEach(([tag, value, name], i) => {
    dynamicIndex[name] = i;
    wW(tag, at.dynamic + i * dynEnt);
    wW(value, at.dynamic + i * dynEnt + (is64 ? 8 : 4));
  });

  if (withSections) {
    shstrtab.copy(buf, shstrAt);
    const sh = (i: number, name: number, type: number, offset: number, sz: number, link: number, info: number, entsize: number): void => {
      const p = at.shdrs + i * shEnt;
      w32(name, p);
      w32(type, p + 4);
      if (is64) {
        wW(offset === 0 ? 0 : BASE_VADDR + offset, p + 16);
        wW(offset, p + 24);
        wW(sz, p + 32);
        w32(link, p + 40);
        w32(info, p + 44);
        wW(8, p + 48);
        wW(entsize, p + 56);
      } else {
        w32(offset === 0 ? 0 : BASE_VADDR + offset, p + 12);
        w32(offset, p + 16);
        w32(sz, p + 20);
        w32(link, p + 24);
        w32(info, p + 28);
        w32(4, p + 32);
        w32(entsize, p + 36);
      }
    };
    sh(1, 1, 3, at.dynstr, dynstr.length, 0, 0, 0);
    sh(2, 9, 11, at.dynsym, symbols.length * symEnt, 1, 1, symEnt);
    sh(3, 17, 0x6fffffff, at.versym, symbols.length * 2, 2, 0, 2);
    sh(4, 30, 0x6ffffffe, at.verneed, verneedSize, 1, verneed.length, 0);
    sh(5, 45, 6, at.dynamic, dyn.length * dynEnt, 1, 0, dynEnt);
    sh(6, 54, 3, shstrAt, shstrtab.length, 0, 0, 0);
    sh(7, 64, 0x6ffffffd, at.verdef, verdefSize, 1, verdef.length, 0);
  }
  return { buf, at, dynamicIndex, strings };
}

/**
 * The System V ELF hash of a name: glibc's loader compares vna_hash and vd_hash before the
 * names (elf/dl-version.c, match_symbol), so a file with zero hashes fails to load.
 */
export function elfHash(name: string): number {
  let h = 0;
  for (const c of Buffer.from(name, 'utf8')) {
    h = ((h << 4) + c) >>> 0;
    const g = h & 0xf0000000;
    if (g !== 0) h ^= g >>> 24;
    h = (h & ~g) >>> 0;
  }
  return h;
}

/** A typical small library: libc.so.6 at GLIBC_2.2.5 and GLIBC_2.28 (fcntl64), plus libstdc++. */
export function sampleSpec(overrides: Partial<BuildSpec> = {}): BuildSpec {
  return {
    needed: ['libstdc++.so.6', 'libc.so.6'],
    soname: 'libsample.so.1',
    runpath: '$ORIGIN/lib:$ORIGIN',
    verneed: [
      { file: 'libstdc++.so.6', entries: [{ name: 'GLIBCXX_3.4.21', index: 4 }, { name: 'CXXABI_1.3.9', index: 5 }] },
      {
        file: 'libc.so.6',
        entries: [
          { name: 'GLIBC_2.28', index: 3 },
          { name: 'GLIBC_2.2.5', index: 2 },
        ],
      },
    ],
    symbols: [
      { name: 'memcpy', version: 2 },
      { name: 'fcntl64', version: 3 },
      { name: '_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_createERmm', version: 4 },
      { name: '_ZdlPvm', version: 5 },
      { name: 'napi_register_module_v1', version: 7, defined: true },
    ],
    verdef: [
      { name: 'libsample.so.1', index: 1, base: true },
      { name: 'SAMPLE_1.0', index: 6 },
      { name: 'SAMPLE_2.0', index: 7, parents: ['SAMPLE_1.0'] },
    ],
    ...overrides,
  };
}
