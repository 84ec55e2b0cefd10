import { MalformedElfError } from '../errors.js';
import type { ProgramHeader } from './program-headers.js';
import { type ElfReader, hex } from './reader.js';

/**
 * The kernel floor: the `NT_GNU_ABI_TAG` note (`.note.ABI-tag`, from glibc's csu/abi-note.S),
 * owner "GNU", type 1, four 32-bit words: OS (0 = Linux), then major, minor, patch of the oldest
 * kernel the glibc the file was built against supports (its `--enable-kernel`). glibc's loader
 * refuses a library whose tag is newer than the running kernel ("ELF file OS ABI invalid", elf/
 * dl-load.c open_verify), and a program built that way dies with "FATAL: kernel too old".
 *
 * Read from PT_NOTE segments, as the loader does, so a section-stripped file still has it.
 */

/** NT_GNU_ABI_TAG (binutils include/elf/common.h). */
export const NT_GNU_ABI_TAG = 1;
/** The OS word of the tag (glibc elf/elf.h ELF_NOTE_OS_LINUX). */
export const ELF_NOTE_OS_LINUX = 0;

/** A note header is three 32-bit words: namesz, descsz, type. */
const NOTE_HEADER = 12;
/** Notes are small; a PT_NOTE larger than this is not read (real ones are under 1 KiB). */
const MAX_NOTE_SEGMENT = 64 * 1024;

export interface AbiTag {
  /** `os` 0 is Linux; other values (Hurd 1, Solaris 2, FreeBSD 3) are reported as they are. */
  os: number;
  /** `3.2.0`. */
  version: string;
}

/**
 * The first NT_GNU_ABI_TAG note with owner "GNU" and a 16-byte descriptor in the PT_NOTE segments,
 * or null when there is none (shared libraries usually carry none: the note comes with crt1.o).
 */
export function readAbiTag(r: ElfReader, notes: readonly ProgramHeader[]): AbiTag | null {
  for (const segment of notes) {
    // glibc reads only PT_NOTE segments aligned 4 or 8 (elf/dl-load.c); readelf treats smaller
    // alignments as 4, and so do we: a note is never aligned to less.
    const align = segment.align === 8 ? 8 : 4;
    const size = Math.min(segment.filesz, MAX_NOTE_SEGMENT);
    if (size < NOTE_HEADER) continue;
    const bytes = r.read(`PT_NOTE at ${hex(segment.offset)}`, segment.offset, size);
    let at = 0;
    while (at + NOTE_HEADER <= bytes.length) {
      const namesz = r.u32(bytes, at);
      const descsz = r.u32(bytes, at + 4);
      const type = r.u32(bytes, at + 8);
      const nameAt = at + NOTE_HEADER;
      // Header and name are padded together (glibc's ELF_NOTE_DESC_OFFSET in include/link.h, used by
      // dl-load.c): with 8-byte alignment a 4-byte name is followed by its descriptor at once.
      const descAt = at + pad(NOTE_HEADER + namesz, align);
      const next = at + pad(descAt - at + descsz, align);
      if (namesz > bytes.length || descsz > bytes.length || descAt + descsz > bytes.length) {
        throw new MalformedElfError(`PT_NOTE at ${hex(segment.offset)}: note at +${at} (name ${namesz}, descriptor ${descsz} bytes) runs past the segment (${bytes.length} bytes)`);
      }
      if (type === NT_GNU_ABI_TAG && namesz === 4 && descsz === 16 && bytes.toString('latin1', nameAt, nameAt + 4) === 'GNU\0') {
        const word = (i: number): number => r.u32(bytes, descAt + 4 * i);
        return { os: word(0), version: `${word(1)}.${word(2)}.${word(3)}` };
      }
      if (next <= at) break;
      at = next;
    }
  }
  return null;
}

function pad(size: number, align: number): number {
  return Math.ceil(size / align) * align;
}

/** The Linux kernel floor, or null when the file has no tag or a tag for another OS. */
export function minKernelOf(tag: AbiTag | null): string | null {
  return tag !== null && tag.os === ELF_NOTE_OS_LINUX ? tag.version : null;
}

/** The highest of some kernel floors (`3.10.0` > `3.2.0`), null when there is none. */
export function highestKernel(floors: Iterable<string | null | undefined>): string | null {
  let best: string | null = null;
  for (const floor of floors) {
    if (floor === null || floor === undefined) continue;
    if (best === null || compareKernel(floor, best) > 0) best = floor;
  }
  return best;
}

/** Orders `major.minor.patch` numerically; a missing part counts as 0 (`3.10` == `3.10.0`). */
export function compareKernel(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}
