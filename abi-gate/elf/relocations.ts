import { MalformedElfError } from '../errors.js';
import type { AddressMap } from './address-map.js';
import { DT_JMPREL, DT_PLTREL, DT_PLTRELSZ, DT_REL, DT_RELA, DT_RELASZ, DT_RELSZ } from './constants.js';
import type { ElfReader } from './reader.js';

/** Relocation entries read per chunk: a node binary has hundreds of thousands. */
const CHUNK_ENTRIES = 4096;

/**
 * One past the highest symbol index any dynamic relocation (DT_RELA, DT_REL, DT_JMPREL) names:
 * the undefined symbols the loader binds. Used only for a section-stripped file whose DT_GNU_HASH
 * hashes no symbol, where the hash says nothing about how many symbols precede symoffset (an
 * addon that exports nothing and registers from a constructor, for one).
 */
export function symbolCountFromRelocations(r: ElfReader, map: AddressMap, values: ReadonlyMap<number, number>): number {
  let highest = 0;
  const scan = (what: string, vaddr: number | undefined, size: number | undefined, rela: boolean): void => {
    if (vaddr === undefined || size === undefined || size === 0) return;
    const entSize = r.is64 ? (rela ? 24 : 16) : rela ? 12 : 8;
    const count = Math.floor(size / entSize);
    const offset = map.range(what, vaddr, count * entSize);
    for (let first = 0; first < count; first += CHUNK_ENTRIES) {
      const n = Math.min(CHUNK_ENTRIES, count - first);
      const chunk = r.read(what, offset + first * entSize, n * entSize);
      for (let i = 0; i < n; i += 1) {
        const at = i * entSize + (r.is64 ? 8 : 4);
        // r_info: ELF64 symbol index in its high 32 bits, ELF32 in all but the low 8.
        const sym = r.is64 ? (r.little ? r.u32(chunk, at + 4) : r.u32(chunk, at)) : r.u32(chunk, at) >>> 8;
        if (sym > highest) highest = sym;
      }
    }
  };
  scan('DT_RELA', values.get(DT_RELA), values.get(DT_RELASZ), true);
  scan('DT_REL', values.get(DT_REL), values.get(DT_RELSZ), false);
  const pltrel = values.get(DT_PLTREL);
  if (values.has(DT_JMPREL) && pltrel !== DT_RELA && pltrel !== DT_REL) {
    throw new MalformedElfError(`DT_PLTREL ${String(pltrel)} is neither DT_RELA nor DT_REL`);
  }
  scan('DT_JMPREL', values.get(DT_JMPREL), values.get(DT_PLTRELSZ), pltrel === DT_RELA);
  return highest + 1;
}
