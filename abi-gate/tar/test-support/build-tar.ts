/**
 * Writes tar bytes by hand, header field by header field, so tests can build archives that no
 * well-behaved tool would write (absolute paths, `..`, NUL in a pax path, data after the end).
 */
export interface RawEntry {
  name: string;
  typeflag?: string;
  body?: Buffer | string;
  linkname?: string;
  mode?: number;
  /** Overrides the size field (a lie about the body). */
  size?: number;
}

export function header(entry: RawEntry): Buffer {
  const block = Buffer.alloc(512);
  const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
  block.write(entry.name, 0, 100, 'utf8');
  octal(block, 100, 8, entry.mode ?? 0o644);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, entry.size ?? body.length);
  octal(block, 136, 12, 1_700_000_000);
  block.write(entry.typeflag ?? '0', 156, 1, 'latin1');
  if (entry.linkname !== undefined) block.write(entry.linkname, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'latin1');
  block.write('root', 265, 32);
  block.write('root', 297, 32);
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return block;
}

export function entryBytes(entry: RawEntry): Buffer {
  const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
  return Buffer.concat([header(entry), pad(body)]);
}

/** A pax extended header ('x' or 'g') carrying the given records, byte-exact. */
export function paxEntry(records: Record<string, string>, typeflag: 'x' | 'g' = 'x'): Buffer {
  const lines = Object.entries(records).map(([key, value]) => paxRecord(key, value));
  return entryBytes({ name: 'PaxHeader/x', typeflag, body: Buffer.concat(lines) });
}

export function paxRecord(key: string, value: string): Buffer {
  const text = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(text);
  let length = bytes + String(bytes).length;
  if (String(length).length !== String(bytes).length) length = bytes + String(length).length;
  return Buffer.from(`${length}${text}`);
}

export function endBlocks(): Buffer {
  return Buffer.alloc(1024);
}

function pad(body: Buffer): Buffer {
  const rest = body.length % 512;
  return rest === 0 ? body : Buffer.concat([body, Buffer.alloc(512 - rest)]);
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'latin1');
}
