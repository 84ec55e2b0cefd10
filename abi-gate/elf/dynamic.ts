import { MalformedElfError } from '../errors.js';
import {
  DT_FLAGS_1,
  DT_GNU_HASH,
  DT_HASH,
  DT_NEEDED,
  DT_NULL,
  DT_RPATH,
  DT_RUNPATH,
  DT_SONAME,
  DT_STRSZ,
  DT_STRTAB,
  DT_SYMENT,
  DT_SYMTAB,
  DT_VERDEF,
  DT_VERDEFNUM,
  DT_VERNEED,
  DT_VERNEEDNUM,
  DT_VERSYM,
  DT_PLTRELSZ,
  DT_RELA,
  DT_RELASZ,
  DT_REL,
  DT_RELSZ,
  DT_PLTREL,
  DT_JMPREL,
} from './constants.js';
import type { ProgramHeader } from './program-headers.js';
import type { ElfReader } from './reader.js';

/** The dynamic table entries abi-gate uses. String entries are offsets into DT_STRTAB. */
export interface DynamicTable {
  needed: number[];
  soname: number | null;
  rpath: number[];
  runpath: number[];
  /** Single-valued tags (DT_STRTAB, DT_VERNEED, ...) by tag number. */
  values: Map<number, number>;
}

const SINGLE_TAGS = new Set([
  DT_HASH,
  DT_STRTAB,
  DT_SYMTAB,
  DT_STRSZ,
  DT_SYMENT,
  DT_GNU_HASH,
  DT_VERSYM,
  DT_FLAGS_1,
  DT_VERDEF,
  DT_VERDEFNUM,
  DT_VERNEED,
  DT_VERNEEDNUM,
  DT_PLTRELSZ,
  DT_RELA,
  DT_RELASZ,
  DT_REL,
  DT_RELSZ,
  DT_PLTREL,
  DT_JMPREL,
]);

const TAG_NAMES: Record<number, string> = {
  [DT_HASH]: 'DT_HASH',
  [DT_STRTAB]: 'DT_STRTAB',
  [DT_SYMTAB]: 'DT_SYMTAB',
  [DT_STRSZ]: 'DT_STRSZ',
  [DT_SYMENT]: 'DT_SYMENT',
  [DT_GNU_HASH]: 'DT_GNU_HASH',
  [DT_VERSYM]: 'DT_VERSYM',
  [DT_FLAGS_1]: 'DT_FLAGS_1',
  [DT_VERDEF]: 'DT_VERDEF',
  [DT_VERDEFNUM]: 'DT_VERDEFNUM',
  [DT_VERNEED]: 'DT_VERNEED',
  [DT_VERNEEDNUM]: 'DT_VERNEEDNUM',
  [DT_NEEDED]: 'DT_NEEDED',
  [DT_SONAME]: 'DT_SONAME',
  [DT_RPATH]: 'DT_RPATH',
  [DT_RUNPATH]: 'DT_RUNPATH',
  [DT_PLTRELSZ]: 'DT_PLTRELSZ',
  [DT_RELA]: 'DT_RELA',
  [DT_RELASZ]: 'DT_RELASZ',
  [DT_REL]: 'DT_REL',
  [DT_RELSZ]: 'DT_RELSZ',
  [DT_PLTREL]: 'DT_PLTREL',
  [DT_JMPREL]: 'DT_JMPREL',
};

export const tagName = (tag: number): string => TAG_NAMES[tag] ?? `tag ${tag}`;

/**
 * Reads PT_DYNAMIC up to DT_NULL. The table is read from the segment's file bytes, which are
 * what the loader maps; the .dynamic section, when present, is the same bytes.
 */
export function readDynamic(r: ElfReader, segment: ProgramHeader): DynamicTable {
  const entSize = r.is64 ? 16 : 8;
  const count = Math.floor(segment.filesz / entSize);
  const bytes = r.read('PT_DYNAMIC', segment.offset, count * entSize);
  const table: DynamicTable = { needed: [], soname: null, rpath: [], runpath: [], values: new Map() };
  for (let i = 0; i < count; i += 1) {
    const at = i * entSize;
    // d_tag is signed; tags above 2^32 (or negative ones) are none of ours, so the high half
    // only has to be zero for a tag to be one we read.
    const tagHigh = r.is64 ? (r.little ? r.u32(bytes, at + 4) : r.u32(bytes, at)) : 0;
    const tag = r.is64 ? (r.little ? r.u32(bytes, at) : r.u32(bytes, at + 4)) : r.u32(bytes, at);
    if (tagHigh !== 0) continue;
    if (tag === DT_NULL) return table;
    const known = tag === DT_NEEDED || tag === DT_SONAME || tag === DT_RPATH || tag === DT_RUNPATH || SINGLE_TAGS.has(tag);
    if (!known) continue;
    const value = r.is64 ? r.u64(bytes, at + 8, `${tagName(tag)} value`) : r.u32(bytes, at + 4);
    if (tag === DT_NEEDED) table.needed.push(value);
    else if (tag === DT_RPATH) table.rpath.push(value);
    else if (tag === DT_RUNPATH) table.runpath.push(value);
    else if (tag === DT_SONAME) table.soname = value;
    else table.values.set(tag, value);
  }
  throw new MalformedElfError(`dynamic table (${count} entries) has no DT_NULL terminator`);
}
