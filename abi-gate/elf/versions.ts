import { MalformedElfError } from '../errors.js';
import type { VersionNeed } from '../types.js';
import { VER_FLG_BASE, VER_FLG_WEAK, VERDAUX_SIZE, VERDEF_SIZE, VERNAUX_SIZE, VERNEED_SIZE, VER_NDX_GLOBAL, VERSYM_INDEX_MASK } from './constants.js';
import { type ElfReader, hex, stringAt } from './reader.js';
import type { Region } from './region.js';

/**
 * Symbol versioning tables (.gnu.version_r, .gnu.version_d, .gnu.version). The loader walks the
 * verneed and verdef chains by their next fields until a zero (glibc elf/dl-version.c), while
 * readelf trusts the counts; a file where the two disagree is reported as malformed rather than
 * read one way or the other.
 */

export interface VersionDef {
  index: number;
  name: string;
  base: boolean;
}

/**
 * Loop protection for the next-field walks. A chain must not come back to an entry it already
 * passed (that is a loop, the loader would spin), but different chains may share entries: the
 * loader walks each vda_next/vna_next chain on its own (glibc elf/dl-version.c), and real linkers
 * emit shared entries (libjansson.so.4's two verdefs point at one verdaux). Revisits are therefore
 * tracked per chain, and the total work per table is bounded by the file size: without sharing,
 * every step reads a distinct entry of at least VERDAUX_SIZE bytes.
 */
class ChainWalk {
  private steps = 0;
  private readonly budget: number;

  constructor(
    private readonly region: Region,
    private readonly is32: boolean,
    fileSize: number,
  ) {
    this.budget = Math.max(1, Math.floor(fileSize / VERDAUX_SIZE));
  }

  /** A new chain: its own revisit check, the table's shared step budget. */
  chain(field: string): Chain {
    return new Chain(this, field);
  }

  /** Where `delta` from `at` lands. A 32-bit loader adds it modulo 2^32, so large deltas go backwards. */
  step(at: number, delta: number): number {
    return this.is32 && delta >= 0x80000000 ? at + delta - 0x100000000 : at + delta;
  }

  read(at: number, size: number, field: string): Buffer {
    this.steps += 1;
    if (this.steps > this.budget) {
      throw new MalformedElfError(`${this.region.what}: chains take more than ${this.budget} steps, more than the file size allows`);
    }
    return this.region.bytes(at, size, field);
  }

  revisit(field: string, at: number): MalformedElfError {
    return new MalformedElfError(`${this.region.what}: ${field} chain revisits offset ${hex(at)}`);
  }
}

class Chain {
  private readonly visited = new Set<number>();

  constructor(
    private readonly walk: ChainWalk,
    private readonly field: string,
  ) {}

  visit(at: number, size: number): Buffer {
    if (this.visited.has(at)) throw this.walk.revisit(this.field, at);
    this.visited.add(at);
    return this.walk.read(at, size, this.field);
  }
}

/** The field names and layout of one table: verneed (`vn`) or verdef (`vd`). */
interface TableSpec {
  prefix: 'vn' | 'vd';
  recordSize: number;
  /** Offsets in a record of its first aux entry's delta and the next record's delta. */
  recordAux: number;
  recordNext: number;
  auxSize: number;
  auxNext: number;
}

const VERNEED: TableSpec = { prefix: 'vn', recordSize: VERNEED_SIZE, recordAux: 8, recordNext: 12, auxSize: VERNAUX_SIZE, auxNext: 12 };
const VERDEF: TableSpec = { prefix: 'vd', recordSize: VERDEF_SIZE, recordAux: 12, recordNext: 16, auxSize: VERDAUX_SIZE, auxNext: 4 };

/** What a table reader makes of one record: its aux count, its name in messages, and its aux entries. */
interface RecordVisitor {
  cnt: number;
  owner: string;
  aux(ent: Buffer): void;
  end?(): void;
}

/**
 * Walks a table's record chain and each record's aux chain by their next fields, holding both to
 * their counts; `onRecord` reads one record and says how to read its aux entries.
 */
function walkTable(r: ElfReader, region: Region, count: number, spec: TableSpec, onRecord: (rec: Buffer) => RecordVisitor): void {
  const what = region.what;
  const p = spec.prefix;
  if (count > Math.floor(region.length / spec.recordSize)) {
    throw new MalformedElfError(`${what}: count ${count} does not fit in the table (${region.length} bytes)`);
  }
  const walk = new ChainWalk(region, !r.is64, r.size);
  const recordChain = walk.chain(`${p}_next`);
  let at = 0;
  let records = 0;
  for (;;) {
    if (records >= count) throw new MalformedElfError(`${what}: the ${p}_next chain is longer than its count ${count}`);
    const rec = recordChain.visit(at, spec.recordSize);
    const version = r.u16(rec, 0);
    if (version !== 1) throw new MalformedElfError(`${what}: unsupported ${p}_version ${version} at ${hex(at)}`);
    const record = onRecord(rec);
    const { cnt, owner } = record;
    let aux = walk.step(at, r.u32(rec, spec.recordAux));
    const auxChain = walk.chain(`${p}a_next`);
    let entries = 0;
    for (;;) {
      if (entries >= cnt) throw new MalformedElfError(`${what}: ${p}a_next chain of ${owner} is longer than its ${p}_cnt ${cnt}`);
      const ent = auxChain.visit(aux, spec.auxSize);
      record.aux(ent);
      entries += 1;
      const next = r.u32(ent, spec.auxNext);
      if (next === 0) break;
      aux = walk.step(aux, next);
    }
    if (entries < cnt) throw new MalformedElfError(`${what}: ${p}_cnt ${cnt} of ${owner} outruns its ${p}a_next chain (${entries} entries)`);
    record.end?.();
    records += 1;
    const next = r.u32(rec, spec.recordNext);
    if (next === 0) break;
    at = walk.step(at, next);
  }
  if (records < count) throw new MalformedElfError(`${what}: count ${count} outruns the ${p}_next chain (${records} records)`);
}

export function readVerneed(r: ElfReader, region: Region, count: number, strtab: Buffer): VersionNeed[] {
  const what = region.what;
  const out: VersionNeed[] = [];
  walkTable(r, region, count, VERNEED, (rec) => {
    const library = stringAt(strtab, r.u32(rec, 4), `${what} vn_file`);
    return {
      cnt: r.u16(rec, 2),
      owner: library,
      aux: (ent) => {
        out.push({
          library,
          version: stringAt(strtab, r.u32(ent, 8), `${what} vna_name`),
          weak: (r.u16(ent, 4) & VER_FLG_WEAK) !== 0,
          index: r.u16(ent, 6),
        });
      },
    };
  });
  return out;
}

export function readVerdef(r: ElfReader, region: Region, count: number, strtab: Buffer): VersionDef[] {
  const what = region.what;
  const out: VersionDef[] = [];
  walkTable(r, region, count, VERDEF, (rec) => {
    const flags = r.u16(rec, 2);
    const index = r.u16(rec, 4) & VERSYM_INDEX_MASK;
    let name: string | null = null;
    return {
      cnt: r.u16(rec, 6),
      owner: `index ${index}`,
      aux: (ent) => {
        // The first verdaux names the version; the others name its parents.
        const auxName = stringAt(strtab, r.u32(ent, 0), `${what} vda_name`);
        name ??= auxName;
      },
      end: () => out.push({ index, name: name ?? '', base: (flags & VER_FLG_BASE) !== 0 }),
    };
  });
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
    if (index > VER_NDX_GLOBAL && !known.has(index)) {
      throw new MalformedElfError(`${what}: symbol ${i} has version index ${index}, which no verneed or verdef entry defines`);
    }
    out[i] = index;
  }
  return out;
}
