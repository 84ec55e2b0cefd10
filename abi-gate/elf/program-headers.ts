import { MalformedElfError } from '../errors.js';
import { PN_XNUM, PT_DYNAMIC, PT_INTERP, PT_LOAD, PT_NOTE } from './constants.js';
import type { ElfHeader } from './header.js';
import { type ElfReader, hex } from './reader.js';

export interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  /** p_align, read for PT_NOTE only (0 for the others). */
  align: number;
}

export interface Segments {
  loads: ProgramHeader[];
  dynamic: ProgramHeader | null;
  interp: ProgramHeader | null;
  /** PT_NOTE segments, for the kernel floor (abi-tag.ts). */
  notes: ProgramHeader[];
}

export function readProgramHeaders(r: ElfReader, h: ElfHeader): Segments {
  const segments: Segments = { loads: [], dynamic: null, interp: null, notes: [] };
  if (h.phnum === 0) return segments;
  if (h.phnum === PN_XNUM) {
    throw new MalformedElfError('e_phnum is PN_XNUM (extended program header numbering), which no loader target here uses');
  }
  if (h.phentsize < h.sizes.phdr) {
    throw new MalformedElfError(`e_phentsize ${h.phentsize} is smaller than a program header (${h.sizes.phdr} bytes)`);
  }
  const table = r.read('program header table', h.phoff, h.phnum * h.phentsize);
  for (let i = 0; i < h.phnum; i += 1) {
    const rec = table.subarray(i * h.phentsize, i * h.phentsize + h.sizes.phdr);
    const what = `program header ${i}`;
    const ph: ProgramHeader = r.is64
      ? {
          type: r.u32(rec, 0),
          offset: r.u64(rec, 8, `${what} p_offset`),
          vaddr: r.u64(rec, 16, `${what} p_vaddr`),
          filesz: r.u64(rec, 32, `${what} p_filesz`),
          memsz: r.u64(rec, 40, `${what} p_memsz`),
          align: 0,
        }
      : { type: r.u32(rec, 0), offset: r.u32(rec, 4), vaddr: r.u32(rec, 8), filesz: r.u32(rec, 16), memsz: r.u32(rec, 20), align: 0 };
    if (ph.type === PT_LOAD) {
      segments.loads.push(ph);
    } else if (ph.type === PT_DYNAMIC) {
      // The kernel and glibc's loader take the last PT_DYNAMIC; two of them is a hostile file.
      if (segments.dynamic !== null) throw new MalformedElfError('more than one PT_DYNAMIC');
      segments.dynamic = ph;
    } else if (ph.type === PT_NOTE) {
      // p_align is read only here: an odd alignment of another segment is none of our business.
      segments.notes.push({ ...ph, align: r.is64 ? r.u64(rec, 48, `${what} p_align`) : r.u32(rec, 28) });
    } else if (ph.type === PT_INTERP) {
      if (segments.interp !== null) throw new MalformedElfError('more than one PT_INTERP');
      segments.interp = ph;
    }
  }
  for (const load of segments.loads) {
    r.check(`PT_LOAD at ${hex(load.vaddr)}`, load.offset, load.filesz);
  }
  return segments;
}

/** Longest interpreter path the kernel accepts (PATH_MAX). */
const MAX_INTERP = 4096;

export function readInterpreter(r: ElfReader, interp: ProgramHeader | null): string | null {
  if (interp === null) return null;
  if (interp.filesz === 0 || interp.filesz > MAX_INTERP) {
    throw new MalformedElfError(`PT_INTERP size ${interp.filesz} is not a path`);
  }
  const bytes = r.read('PT_INTERP', interp.offset, interp.filesz);
  // The kernel refuses an interpreter path whose last byte is not NUL (fs/binfmt_elf.c).
  const end = bytes.indexOf(0);
  if (end < 0) throw new MalformedElfError('PT_INTERP path is not NUL-terminated');
  return bytes.toString('utf8', 0, end);
}
