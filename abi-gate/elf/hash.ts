import { MalformedElfError } from '../errors.js';
import type { AddressMap } from './address-map.js';
import { EM_S390 } from './constants.js';
import { type ElfReader, hex } from './reader.js';

/**
 * How many dynamic symbols a section-stripped file has. Nothing else records it: the loader
 * never needs the count, only the hash tables that index the symbols.
 */

/** DT_HASH: nchain is the number of symbols. s390x (like Alpha) uses 8-byte hash words. */
export function countFromSysvHash(r: ElfReader, map: AddressMap, vaddr: number, machine: number): number {
  const wordSize = r.is64 && machine === EM_S390 ? 8 : 4;
  const offset = map.range('DT_HASH', vaddr, 2 * wordSize);
  const head = r.read('DT_HASH header', offset, 2 * wordSize);
  return wordSize === 8 ? r.u64(head, 8, 'DT_HASH nchain') : r.u32(head, 4);
}

/** Bytes of chain read at a time while looking for the end of the last chain. */
const CHAIN_CHUNK = 1024;

/**
 * DT_GNU_HASH: symbols below symoffset are not hashed (undefined ones); the rest are grouped by
 * bucket in symbol order, so the count is one past the end of the chain that starts at the
 * highest bucket entry. A chain ends at the first word with bit 0 set. `hashed` is false when no
 * symbol is hashed at all: GNU ld then writes symoffset 1, so the count says nothing about the
 * undefined symbols (relocations.ts counts those).
 */
export function countFromGnuHash(r: ElfReader, map: AddressMap, vaddr: number): { count: number; hashed: boolean } {
  const { offset, available } = map.locate('DT_GNU_HASH', vaddr);
  if (available < 16) throw new MalformedElfError(`DT_GNU_HASH at ${hex(vaddr)} is cut short by its segment`);
  const head = r.read('DT_GNU_HASH header', offset, 16);
  const nbuckets = r.u32(head, 0);
  const symoffset = r.u32(head, 4);
  const bloomSize = r.u32(head, 8);
  if (nbuckets === 0) throw new MalformedElfError('DT_GNU_HASH has no buckets');
  const bucketsAt = 16 + bloomSize * (r.is64 ? 8 : 4);
  if (bucketsAt + nbuckets * 4 > available) {
    throw new MalformedElfError(`DT_GNU_HASH with ${nbuckets} buckets and ${bloomSize} bloom words runs past its segment`);
  }
  const buckets = r.read('DT_GNU_HASH buckets', offset + bucketsAt, nbuckets * 4);
  let last = 0;
  for (let i = 0; i < nbuckets; i += 1) last = Math.max(last, r.u32(buckets, i * 4));
  if (last < symoffset) return { count: symoffset, hashed: false };
  const chainsAt = bucketsAt + nbuckets * 4;
  let at = chainsAt + (last - symoffset) * 4;
  for (;;) {
    if (at + 4 > available) throw new MalformedElfError('DT_GNU_HASH chain runs past its segment without an end marker');
    const length = Math.min(CHAIN_CHUNK, Math.floor((available - at) / 4) * 4);
    const chunk = r.read('DT_GNU_HASH chain', offset + at, length);
    for (let k = 0; k < length; k += 4) {
      if ((r.u32(chunk, k) & 1) === 1) return { count: last + 1, hashed: true };
      last += 1;
    }
    at += length;
  }
}
