import createDebug from 'debug';
import { MalformedElfError } from '../errors.js';
import type { ByteSource, VersionNeed } from '../types.js';
import { minKernelOf, readAbiTag } from './abi-tag.js';
import { AddressMap } from './address-map.js';
import {
  DT_GNU_HASH,
  DT_HASH,
  DT_STRSZ,
  DT_STRTAB,
  DT_SYMENT,
  DT_SYMTAB,
  DT_VERDEF,
  DT_VERDEFNUM,
  DT_VERNEED,
  DT_VERNEEDNUM,
  DT_VERSYM,
  DT_FLAGS_1,
} from './constants.js';
import { type DynamicTable, readDynamic, tagName } from './dynamic.js';
import { countFromGnuHash, countFromSysvHash } from './hash.js';
import { symbolCountFromRelocations } from './relocations.js';
import { type ElfHeader, parseHeader } from './header.js';
import { readInterpreter, readProgramHeaders, type Segments } from './program-headers.js';
import { ElfReader, hex, stringAt } from './reader.js';
import { Region } from './region.js';
import { headerRefusals, type LoadFacts } from './loadability.js';
import {
  describeDynamicSections,
  type DynamicSections,
  findDynamicSections,
  hasSectionHeaders,
  readSections,
  type SectionHeader,
} from './sections.js';
import { readSymbols, type SymbolTable } from './symbols.js';
import { readVerdef, readVerneed, readVersym, type VersionDef } from './versions.js';

const debug = createDebug('remote-ai:abi-gate:elf');

/** An imported symbol bound to a version entry (versym index >= 2). */
export interface SymbolRef {
  name: string;
  /** vna_other of the vernaux entry the symbol's versym points at. */
  versionIndex: number;
}

export interface ElfInfo {
  header: ElfHeader;
  interpreter: string | null;
  hasDynamic: boolean;
  sectionHeaders: boolean;
  needed: string[];
  soname: string | null;
  rpath: string[];
  runpath: string[];
  flags1: number;
  versionNeeds: VersionNeed[];
  versionDefs: VersionDef[];
  /** Undefined dynamic symbols with a version: the candidates for culprits. */
  symbolRefs: SymbolRef[];
  /** Defined dynamic symbols whose names say what kind of Node addon this is. */
  nodeExports: string[];
  /** Where the dynamic tables were found: sections, or PT_DYNAMIC mapped through PT_LOAD. */
  tablesFrom: 'sections' | 'dynamic';
  /** Undefined dynamic symbols by which a classic addon registers itself (node_module_register, napi_module_register). */
  nodeImports: string[];
  /** What the loader checks before it reads any table (see loadability.ts). */
  load: LoadFacts;
  /** The NT_GNU_ABI_TAG kernel floor (`3.2.0`), null without a Linux tag. */
  minKernel: string | null;
}

const NODE_EXPORT = /^(napi_register_module_v1|node_api_module_get_api_version_v1|node_register_module_v\d+)$/;
/** What the NODE_MODULE and old NAPI_MODULE macros call from a constructor instead of exporting an entry point. */
const NODE_IMPORT = /^(node_module_register|napi_module_register)$/;

interface Tables {
  strtab: Buffer;
  symbols: SymbolTable | null;
  symbolsWhat: string;
  versym: { what: string; offset: number } | null;
  verneed: VersionTable | null;
  verdef: VersionTable | null;
}

interface VersionTable {
  region: Region;
  count: number;
}

function need(values: Map<number, number>, tag: number, because: string): number {
  const v = values.get(tag);
  if (v === undefined) throw new MalformedElfError(`${because} without ${tagName(tag)}`);
  return v;
}

/**
 * The loader reads the tables the dynamic table points at, whatever the section headers say; a
 * stale or forged section table could otherwise hide a requirement. So a section is used only
 * where it is the very table the dynamic entry names.
 */
function checkAgrees(map: AddressMap, dyn: DynamicTable, tag: number, name: string, section: SectionHeader | null): void {
  const vaddr = dyn.values.get(tag);
  if (section === null || vaddr === undefined) return;
  const { offset } = map.locate(tagName(tag), vaddr);
  if (offset !== section.offset) {
    throw new MalformedElfError(`${name} section at ${hex(section.offset)} is not the table ${tagName(tag)} points at (${hex(offset)})`);
  }
}

/** The dynamic tables from the section headers, falling back to PT_DYNAMIC per table. */
function locateTables(r: ElfReader, h: ElfHeader, dyn: DynamicTable, map: AddressMap, s: DynamicSections): Tables {
  const v = dyn.values;
  checkAgrees(map, dyn, DT_STRTAB, '.dynstr', s.dynstr);
  checkAgrees(map, dyn, DT_SYMTAB, '.dynsym', s.dynsym);
  checkAgrees(map, dyn, DT_VERSYM, '.gnu.version', s.versym);
  checkAgrees(map, dyn, DT_VERNEED, '.gnu.version_r', s.verneed);
  checkAgrees(map, dyn, DT_VERDEF, '.gnu.version_d', s.verdef);
  let strtab: Buffer;
  if (s.dynstr !== null) {
    strtab = r.read('.dynstr', s.dynstr.offset, s.dynstr.size);
  } else if (v.has(DT_STRTAB)) {
    const size = need(v, DT_STRSZ, 'DT_STRTAB');
    strtab = r.read('DT_STRTAB', map.range('DT_STRTAB', need(v, DT_STRTAB, 'dynamic table'), size), size);
  } else {
    strtab = Buffer.alloc(0);
  }

  let symbols: SymbolTable | null = null;
  let symbolsWhat = '.dynsym';
  if (s.dynsym !== null) {
    const entsize = s.dynsym.entsize;
    if (entsize === 0) throw new MalformedElfError('.dynsym sh_entsize is 0');
    symbols = readSymbols(r, '.dynsym', s.dynsym.offset, Math.floor(s.dynsym.size / entsize), entsize);
  } else if (v.has(DT_SYMTAB)) {
    symbolsWhat = 'DT_SYMTAB';
    const entsize = v.get(DT_SYMENT) ?? (r.is64 ? 24 : 16);
    if (entsize === 0) throw new MalformedElfError('DT_SYMENT is 0');
    const hash = v.get(DT_HASH);
    const gnuHash = v.get(DT_GNU_HASH);
    // DT_HASH states the count outright; a GNU hash has to be walked.
    const fromGnu = hash === undefined && gnuHash !== undefined ? countFromGnuHash(r, map, gnuHash) : null;
    const count =
      hash !== undefined
        ? countFromSysvHash(r, map, hash, h.machineNumber)
        : fromGnu === null
          ? null
          : fromGnu.hashed
            ? fromGnu.count
            : Math.max(fromGnu.count, symbolCountFromRelocations(r, map, v));
    if (count === null) throw new MalformedElfError('DT_SYMTAB without DT_HASH or DT_GNU_HASH: the symbol count is unknown');
    if (count > Math.floor(r.size / entsize)) {
      throw new MalformedElfError(`hash table claims ${count} symbols, more than fit in the file (${r.size} bytes)`);
    }
    const vaddr = need(v, DT_SYMTAB, 'dynamic table');
    symbols = readSymbols(r, 'DT_SYMTAB', map.range('DT_SYMTAB', vaddr, count * entsize), count, entsize);
  }

  let versym: Tables['versym'] = null;
  if (s.versym !== null) {
    versym = { what: '.gnu.version', offset: s.versym.offset };
    if (symbols !== null && s.versym.size < symbols.count * 2) {
      throw new MalformedElfError(`.gnu.version holds ${Math.floor(s.versym.size / 2)} entries for ${symbols.count} symbols`);
    }
  } else if (v.has(DT_VERSYM)) {
    const count = symbols?.count ?? 0;
    versym = { what: 'DT_VERSYM', offset: map.range('DT_VERSYM', need(v, DT_VERSYM, 'dynamic table'), count * 2) };
  }

  const verneed = versionTable(r, v, map, s.verneed, '.gnu.version_r', DT_VERNEED, DT_VERNEEDNUM);
  const verdef = versionTable(r, v, map, s.verdef, '.gnu.version_d', DT_VERDEF, DT_VERDEFNUM);
  return { strtab, symbols, symbolsWhat, versym, verneed, verdef };
}

/** A verneed or verdef table: its section (count in sh_info), else its dynamic tag and count tag. */
function versionTable(
  r: ElfReader,
  v: Map<number, number>,
  map: AddressMap,
  section: SectionHeader | null,
  sectionName: string,
  tag: number,
  countTag: number,
): VersionTable | null {
  if (section !== null) return { region: new Region(r, sectionName, section.offset, section.size), count: section.info };
  if (!v.has(tag)) return null;
  const name = tagName(tag);
  const { offset, available } = map.locate(name, need(v, tag, 'dynamic table'));
  return { region: new Region(r, name, offset, available, 1024), count: need(v, countTag, name) };
}

const NO_SECTIONS: DynamicSections = { dynsym: null, dynstr: null, versym: null, verneed: null, verdef: null };

/**
 * Reads what the loader needs from one ELF file. Throws MalformedElfError (only) for a file that
 * cannot be read as ELF; `head` is the file's first bytes, already read to detect the format.
 */
export function readElf(source: ByteSource, head: Buffer): ElfInfo {
  const header = parseHeader(head, source.size);
  const r = new ElfReader(source, head, header.endian === 'little', header.class === 64);
  // The loader refuses such a file before it reads a program header or a table (loadability.ts):
  // so does the scanner, which then reports the refusal instead of what the bytes might say.
  const refusedEarly = (loads: Segments['loads'] | null): boolean => headerRefusals({ header, loads }).some((x) => x.since === undefined);
  const segments: Segments = refusedEarly(null) ? { loads: [], dynamic: null, interp: null, notes: [] } : readProgramHeaders(r, header);
  const interpreter = refusedEarly(null) ? null : readInterpreter(r, segments.interp);
  const sectionHeaders = hasSectionHeaders(header);
  const info: ElfInfo = {
    header,
    interpreter,
    hasDynamic: segments.dynamic !== null,
    sectionHeaders,
    needed: [],
    soname: null,
    rpath: [],
    runpath: [],
    flags1: 0,
    versionNeeds: [],
    versionDefs: [],
    symbolRefs: [],
    nodeExports: [],
    tablesFrom: 'dynamic',
    nodeImports: [],
    load: { header, loads: segments.loads, dynamic: segments.dynamic, interp: segments.interp, flags1: 0, dynamicSections: null },
    minKernel: minKernelOf(readAbiTag(r, segments.notes)),
  };
  if (refusedEarly(segments.loads)) return info;
  if (segments.dynamic === null) {
    // Only a file without PT_DYNAMIC pays for its section headers here: do they describe the
    // dynamic tables the loader cannot see?
    if (sectionHeaders) info.load.dynamicSections = describeDynamicSections(readSections(r, header));
    return info;
  }

  const dyn = readDynamic(r, segments.dynamic);
  const map = new AddressMap(segments.loads);
  const sections = sectionHeaders ? findDynamicSections(r, readSections(r, header)) : NO_SECTIONS;
  info.tablesFrom = sections.dynsym !== null ? 'sections' : 'dynamic';
  const t = locateTables(r, header, dyn, map, sections);

  const str = (what: string) => (offset: number) => stringAt(t.strtab, offset, what);
  info.needed = dyn.needed.map(str('DT_NEEDED'));
  info.soname = dyn.soname === null ? null : str('DT_SONAME')(dyn.soname);
  info.rpath = dyn.rpath.map(str('DT_RPATH')).flatMap(splitPath);
  info.runpath = dyn.runpath.map(str('DT_RUNPATH')).flatMap(splitPath);
  info.flags1 = dyn.values.get(DT_FLAGS_1) ?? 0;
  info.load.flags1 = info.flags1;

  if (t.verneed !== null) info.versionNeeds = readVerneed(r, t.verneed.region, t.verneed.count, t.strtab);
  if (t.verdef !== null) info.versionDefs = readVerdef(r, t.verdef.region, t.verdef.count, t.strtab);

  const syms = t.symbols;
  if (syms !== null) {
    const known = new Set<number>([...info.versionNeeds.map((n) => n.index), ...info.versionDefs.map((d) => d.index)]);
    const versym = t.versym === null ? null : readVersym(r, t.versym.what, t.versym.offset, syms.count, known);
    const byIndex = new Set(info.versionNeeds.map((n) => n.index));
    const nameOf = str(t.symbolsWhat);
    for (let i = 1; i < syms.count; i += 1) {
      const nameOffset = syms.names[i] ?? 0;
      if (nameOffset >= t.strtab.length) {
        throw new MalformedElfError(`${t.symbolsWhat}: symbol ${i} name offset ${nameOffset} is past the string table (${t.strtab.length} bytes)`);
      }
      if (syms.undefined[i] === 1) {
        const index = versym?.[i] ?? 0;
        if (byIndex.has(index)) info.symbolRefs.push({ name: nameOf(nameOffset), versionIndex: index });
        if (t.strtab[nameOffset] === 0x6e /* 'n' */) {
          const name = nameOf(nameOffset);
          if (NODE_IMPORT.test(name)) info.nodeImports.push(name);
        }
      } else if (t.strtab[nameOffset] === 0x6e /* 'n' */) {
        const name = nameOf(nameOffset);
        if (NODE_EXPORT.test(name)) info.nodeExports.push(name);
      }
    }
  }
  debug('%d bytes read of %d, tables from %s', r.bytesRead, source.size, info.tablesFrom);
  return info;
}

/** DT_RPATH/DT_RUNPATH hold colon-separated lists. */
function splitPath(value: string): string[] {
  return value.split(':').filter((p) => p !== '');
}
