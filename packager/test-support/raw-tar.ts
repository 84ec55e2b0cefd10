/** Hand-made tar blocks for hostile archives that no well-behaved writer would produce. */
import { gzipSync } from 'node:zlib';

export interface RawEntry {
  path: string;
  type?: '0' | '1' | '2' | '3' | '4' | '5' | '6';
  mode?: number;
  linkname?: string;
  data?: Buffer | string;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

export function rawTarGz(entries: readonly RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '');
    const block = Buffer.alloc(512);
    block.write(entry.path, 0, 100, 'utf8');
    block.write(octal(entry.mode ?? 0o644, 8), 100);
    block.write(octal(0, 8), 108);
    block.write(octal(0, 8), 116);
    block.write(octal(data.length, 12), 124);
    block.write(octal(0, 12), 136);
    block.fill(0x20, 148, 156);
    block.write(entry.type ?? '0', 156);
    block.write(entry.linkname ?? '', 157, 100, 'utf8');
    block.write('ustar\u000000', 257);
    let sum = 0;
    for (const byte of block) sum += byte;
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(block, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}
