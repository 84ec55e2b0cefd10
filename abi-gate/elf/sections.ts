import { MalformedElfError } from '../errors.js';
import { SHT_DYNAMIC, SHT_DYNSYM, SHT_GNU_VERDEF, SHT_GNU_VERNEED, SHT_GNU_VERSYM } from './constants.js';
import type { ElfHeader } from './header.js';
import type { ElfReader } from './reader.js';

export interface SectionHeader {
  index: number;
  type: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

/** The sections that hold what the dynamic table points at, found by type (names are not needed). */
export interface DynamicSections {
  dynsym: SectionHeader | null;
  dynstr: SectionHeader | null;
  versym: SectionHeader | null;
  verneed: SectionHeader | null;
  verdef: SectionHeader | null;
}

function decode(r: ElfReader, rec: Buffer, index: number): SectionHeader {
  const what = `section header ${index}`;
  return r.is64
    ? {
        index,
        type: r.u32(rec, 4),
        offset: r.u64(rec, 24, `${what} sh_offset`),
        size: r.u64(rec, 32, `${what} sh_size`),
        link: r.u32(rec, 40),
        info: r.u32(rec, 44),
        entsize: r.u64(rec, 56, `${what} sh_entsize`),
      }
    : {
        index,
        type: r.u32(rec, 4),
        offset: r.u32(rec, 16),
        size: r.u32(rec, 20),
        link: r.u32(rec, 24),
        info: r.u32(rec, 28),
        entsize: r.u32(rec, 36),
      };
}

/** True when the file has a section header table at all (section-stripped files have none). */
export function hasSectionHeaders(h: ElfHeader): boolean {
  return h.shoff !== 0 && (h.shnum !== 0 || h.shentsize !== 0);
}

export function readSections(r: ElfReader, h: ElfHeader): SectionHeader[] {
  if (h.shentsize < h.sizes.shdr) {
    throw new MalformedElfError(`e_shentsize ${h.shentsize} is smaller than a section header (${h.sizes.shdr} bytes)`);
  }
  let count = h.shnum;
  if (count === 0) {
    // Extended numbering: more than 0xff00 sections, the real count is section 0's sh_size.
    count = decode(r, r.read('section header 0', h.shoff, h.sizes.shdr), 0).size;
  }
  if (count > Math.floor((r.size - Math.min(h.shoff, r.size)) / h.shentsize)) {
    throw new MalformedElfError(`${count} section headers at ${h.shoff} do not fit in the file (${r.size} bytes)`);
  }
  const table = r.read('section header table', h.shoff, count * h.shentsize);
  const out: SectionHeader[] = [];
  for (let i = 0; i < count; i += 1) {
    out.push(decode(r, table.subarray(i * h.shentsize, i * h.shentsize + h.sizes.shdr), i));
  }
  return out;
}

export function findDynamicSections(r: ElfReader, sections: readonly SectionHeader[]): DynamicSections {
  const found: DynamicSections = { dynsym: null, dynstr: null, versym: null, verneed: null, verdef: null };
  const take = (key: keyof DynamicSections, s: SectionHeader): void => {
    if (found[key] !== null) throw new MalformedElfError(`more than one ${key} section`);
    r.check(`section ${s.index} (${key})`, s.offset, s.size);
    found[key] = s;
  };
  for (const s of sections) {
    if (s.type === SHT_DYNSYM) take('dynsym', s);
    else if (s.type === SHT_GNU_VERSYM) take('versym', s);
    else if (s.type === SHT_GNU_VERNEED) take('verneed', s);
    else if (s.type === SHT_GNU_VERDEF) take('verdef', s);
  }
  if (found.dynsym !== null) {
    const link = sections[found.dynsym.link];
    if (link === undefined) {
      throw new MalformedElfError(`.dynsym sh_link ${found.dynsym.link} names no section (${sections.length} sections)`);
    }
    r.check(`section ${link.index} (.dynstr)`, link.offset, link.size);
    found.dynstr = link;
  }
  return found;
}

const DYNAMIC_SECTION_NAMES: ReadonlyArray<[number, string]> = [
  [SHT_DYNAMIC, '.dynamic'],
  [SHT_DYNSYM, '.dynsym'],
  [SHT_GNU_VERNEED, '.gnu.version_r'],
  [SHT_GNU_VERDEF, '.gnu.version_d'],
  [SHT_GNU_VERSYM, '.gnu.version'],
];

/** The usual names of the dynamic-linking sections present, by type (a static executable has none). */
export function describeDynamicSections(sections: readonly SectionHeader[]): string[] {
  return DYNAMIC_SECTION_NAMES.filter(([type]) => sections.some((s) => s.type === type)).map(([, name]) => name);
}
