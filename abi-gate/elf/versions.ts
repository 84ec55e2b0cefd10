import { MalformedElfError } from '../errors.js';
import type { VersionNeed } from '../types.js';
import { VER_FLG_BASE, VER_FLG_WEAK, VERDAUX_SIZE, VERDEF_SIZE, VERNAUX_SIZE, VERNEED_SIZE, VERSYM_INDEX_MASK } from './constants.js';
import { type ElfReader, hex, stringAt } from './reader.js';
import type { Region } from './region.js';

/**
 * Symbol versioning tables (.gnu.version_r, .gnu.version_d, .gnu.version). The loader walks the
 * verneed and verdef chains by their next fields until a zero (glibc elf/dl-version.c), while
 * readelf trusts the counts; a file where the two disagree is reported as malformed rather than
 * read one way or the other.
 */

/** No real file comes close: glibc's own libc.so.6 defines about 50 versions. */
const MAX_VERSION_ENTRIES = 1 << 16;

export interface VersionDef {
  index: number;
  name: string;
  base: boolean;
}

class ChainWalk {
  private readonly visited = new Set<number>();

  constructor(
    private readonly region: Region,
    private readonly is32: boolean,
  ) {}

  /** Where `delta` from `at` lands. A 32-bit loader adds it modulo 2^32, so large deltas go backwards. */
  step(at: number, delta: number): number {
    return this.is32 && delta >= 0x80000000 ? at + delta - 0x100000000 : at + delta;
  }

  visit(at: number, size: number, field: string): Buffer {
    if (this.visited.has(at)) throw new MalformedElfError(`${this.region.what}: ${field} chain revisits offset ${hex(at)}`);
    if (this.visited.size >= MAX_VERSION_ENTRIES) {
      throw new MalformedElfError(`${this.region.what}: more than ${MAX_VERSION_ENTRIES} entries`);
    }
    this.visited.add(at);
    return this.region.bytes(at, size, field);
  }
}

export function readVerneed(r: ElfReader, region: Region, count: number, strtab: Buffer): VersionNeed[] {
  const what = region.what;
  if (count > Math.floor(region.length / VERNEED_SIZE)) {
    throw new MalformedElfError(`${what}: count ${count} does not fit in the table (${region.length} bytes)`);
  }
  const walk = new ChainWalk(region, !r.is64);
  const out: VersionNeed[] = [];
  let at = 0;
  let records = 0;
  for (;;) {
    if (records >= count) throw new MalformedElfError(`${what}: the vn_next chain is longer than its count ${count}`);
    const rec = walk.visit(at, VERNEED_SIZE, 'vn_next');
    const version = r.u16(rec, 0);
    if (version !== 1) throw new MalformedElfError(`${what}: unsupported vn_version ${version} at ${hex(at)}`);
    const cnt = r.u16(rec, 2);
    const library = stringAt(strtab, r.u32(rec, 4), `${what} vn_file`);
    let aux = walk.step(at, r.u32(rec, 8));
    let entries = 0;
    for (;;) {
      if (entries >= cnt) throw new MalformedElfError(`${what}: vna_next chain of ${library} is longer than its vn_cnt ${cnt}`);
      const ent = walk.visit(aux, VERNAUX_SIZE, 'vna_next');
      const flags = r.u16(ent, 4);
      out.push({
        library,
        version: stringAt(strtab, r.u32(ent, 8), `${what} vna_name`),
        weak: (flags & VER_FLG_WEAK) !== 0,
        index: r.u16(ent, 6),
      });
      entries += 1;
      const next = r.u32(ent, 12);
      if (next === 0) break;
      aux = walk.step(aux, next);
    }
    if (entries < cnt) throw new MalformedElfError(`${what}: vn_cnt ${cnt} of ${library} outruns its vna_next chain (${entries} entries)`);
    records += 1;
    const next = r.u32(rec, 12);
    if (next === 0) break;
    at = walk.step(at, next);
  }
  if (records < count) throw new MalformedElfError(`${what}: count ${count} outruns the vn_next chain (${records} records)`);
  return out;
}

export function readVerdef(r: ElfReader, region: Region, count: number, strtab: Buffer): VersionDef[] {
  const what = region.what;
  if (count > Math.floor(region.length / VERDEF_SIZE)) {
    throw new MalformedElfError(`${what}: count ${count} does not fit in the table (${region.length} bytes)`);
  }
  const walk = new ChainWalk(region, !r.is64);
  const out: VersionDef[] = [];
  let at = 0;
  let records = 0;
  for (;;) {
    if (records >= count) throw new MalformedElfError(`${what}: the vd_next chain is longer than its count ${count}`);
    const rec = walk.visit(at, VERDEF_SIZE, 'vd_next');
    const version = r.u16(rec, 0);
    if (version !== 1) throw new MalformedElfError(`${what}: unsupported vd_version ${version} at ${hex(at)}`);
    const flags = r.u16(rec, 2);
    const index = r.u16(rec, 4) & VERSYM_INDEX_MASK;
    const cnt = r.u16(rec, 6);
    let aux = walk.step(at, r.u32(rec, 12));
    let name: string | null = null;
    let entries = 0;
    for (;;) {
      if (entries >= cnt) throw new MalformedElfError(`${what}: vda_next chain of index ${index} is longer than its vd_cnt ${cnt}`);
      const ent = walk.visit(aux, VERDAUX_SIZE, 'vda_next');
      // The first verdaux names the version; the others name its parents.
      const auxName = stringAt(strtab, r.u32(ent, 0), `${what} vda_name`);
      name ??= auxName;
      entries += 1;
      const next = r.u32(ent, 4);
      if (next === 0) break;
      aux = walk.step(aux, next);
    }
    if (entries < cnt) throw new MalformedElfError(`${what}: vd_cnt ${cnt} of index ${index} outruns its vda_next chain (${entries} entries)`);
    out.push({ index, name: name ?? '', base: (flags & VER_FLG_BASE) !== 0 });
    records += 1;
    const next = r.u32(rec, 16);
    if (next === 0) break;
    at = walk.step(at, next);
  }
  if (records < count) throw new MalformedElfError(`${what}: count ${count} outruns the vd_next chain (${records} records)`);
  return out;
}

/**
 * One version index per dynamic symbol. An index that no verneed or verdef entry carries makes
 * the loader fail the symbol's lookup, so it is reported, not skipped.
 */
export function readVersym(
  r: ElfReader,
  what: string,
  offset: number,
  count: number,
  known: ReadonlySet<number>,
): Uint16Array {
  const bytes = r.read(what, offset, count * 2);
  const out = new Uint16Array(count);
  for (let i = 1; i < count; i += 1) {
    const index = r.u16(bytes, i * 2) & VERSYM_INDEX_MASK;
    if (index >= 2 && !known.has(index)) {
      throw new MalformedElfError(`${what}: symbol ${i} has version index ${index}, which no verneed or verdef entry defines`);
    }
    out[i] = index;
  }
  return out;
}
