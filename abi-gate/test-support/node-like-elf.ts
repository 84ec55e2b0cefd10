import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** Builds both with gcc into `dir` (x86_64 or any 64-bit little-endian host). */
export function buildNodeLikeElves(dir: string): NodeLikeElves {
  const lines = ['#include <stdio.h>', 'const char big_rodata[4 << 20] = {1};'];
  for (let i = 0; i < 6000; i++) lines.push(`int exported_function_with_a_long_name_${i}(int x) { return x + ${i}; }`);
  lines.push('int use(void) { return printf("%d", big_rodata[7]); }');
  writeFileSync(join(dir, 'big.c'), lines.join('\n'));
  const big = join(dir, 'big.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-O0', '-o', big, join(dir, 'big.c')]);
  const bytes = readFileSync(big);
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
