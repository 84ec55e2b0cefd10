import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fixturePath } from './fixtures.js';

/** Built once by fixtures/elf/node-like/build.sh (gcc), so tests need no compiler. */
const FIXTURE = fixturePath('elf', 'node-like', 'big.so.gz');

export interface NodeLikeElves {
  /**
   * A library laid out like node: dynsym and dynstr (6000 exports, ~400 KiB) in the first
   * PT_LOAD, then code, 4 MiB of read-only data, and the dynamic section at the end.
   */
  big: string;
  /**
   * The same library with the first PT_LOAD cut to one page and PT_GNU_STACK turned into a
   * PT_LOAD for the rest of it: the same mapping (a scan reads the same bytes), but the tables
   * now lie outside the lowest PT_LOAD, where abi-gate/scan-retain.ts expects them.
   */
  misleading: string;
}

/** Writes both into `dir`: the committed fixture unpacked, and its rewrite. */
export function buildNodeLikeElves(dir: string): NodeLikeElves {
  const big = join(dir, 'big.so');
  const bytes = gunzipSync(readFileSync(FIXTURE));
  writeFileSync(big, bytes);
  if (bytes[4] !== 2 || bytes[5] !== 1) throw new Error(`${big}: expected a 64-bit little-endian ELF`);
  const phoff = Number(bytes.readBigUInt64LE(0x20));
  const phentsize = bytes.readUInt16LE(0x36);
  const headers = Array.from({ length: bytes.readUInt16LE(0x38) }, (_, i) => phoff + i * phentsize);
  const first = headers.find((at) => bytes.readUInt32LE(at) === 1);
  const stack = headers.find((at) => bytes.readUInt32LE(at) === 0x6474e551);
  if (first === undefined || stack === undefined) throw new Error(`${big}: no PT_LOAD or PT_GNU_STACK to rewrite`);
  const end = bytes.readBigUInt64LE(first + 32);
  bytes.writeBigUInt64LE(0x1000n, first + 32);
  bytes.writeBigUInt64LE(0x1000n, first + 40);
  bytes.writeUInt32LE(1, stack);
  bytes.writeUInt32LE(4, stack + 4);
  for (const [field, value] of [[8, 0x1000n], [16, 0x1000n], [24, 0x1000n], [32, end - 0x1000n], [40, end - 0x1000n], [48, 0x1000n]] as const) {
    bytes.writeBigUInt64LE(value, stack + field);
  }
  const misleading = join(dir, 'misleading.so');
  writeFileSync(misleading, bytes);
  return { big, misleading };
}
