import { MalformedElfError } from '../errors.js';
import { SHN_UNDEF } from './constants.js';
import type { ElfReader } from './reader.js';

/** The dynamic symbols, kept compact: a node binary has tens of thousands. */
export interface SymbolTable {
  count: number;
  /** st_name of each symbol (an offset into the dynamic string table). */
  names: Uint32Array;
  /** 1 when st_shndx is SHN_UNDEF: the symbol is imported. */
  undefined: Uint8Array;
}

export function readSymbols(r: ElfReader, what: string, offset: number, count: number, entsize: number): SymbolTable {
  const min = r.is64 ? 24 : 16;
  if (entsize < min) throw new MalformedElfError(`${what} entry size ${entsize} is smaller than a symbol (${min} bytes)`);
  if (count > Math.floor(r.size / entsize)) {
    throw new MalformedElfError(`${what} claims ${count} symbols, more than fit in the file (${r.size} bytes)`);
  }
  const bytes = r.read(what, offset, count * entsize);
  const names = new Uint32Array(count);
  const undef = new Uint8Array(count);
  for (let i = 0; i < count; i += 1) {
    const at = i * entsize;
    names[i] = r.u32(bytes, at);
    undef[i] = r.u16(bytes, at + (r.is64 ? 6 : 14)) === SHN_UNDEF ? 1 : 0;
  }
  return { count, names, undefined: undef };
}
