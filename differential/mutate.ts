/**
 * Seeded random mutations of a good release's tar stream: one header field of one header (an
 * entry's or its pax header's) set to a random or an interesting value, the checksum usually
 * fixed up so the header is still read; or a structural change (an extended header or a zero
 * block inserted, an entry repeated or dropped). The same seed gives the same cases.
 */
import { gzipSync } from 'node:zlib';
import { TAR_FIELDS } from '../abi-gate/index.js';
import { BLOCK, gnuLongMember, paxMember, sealChecksum } from '../abi-gate/test-support/index.js';

/** mulberry32: small, fast and good enough to pick mutations; seeded, so failures replay. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Field = keyof typeof TAR_FIELDS;
const FIELDS = Object.keys(TAR_FIELDS) as Field[];
const NUMERIC: ReadonlySet<Field> = new Set(['mode', 'uid', 'gid', 'size', 'mtime', 'checksum', 'devmajor', 'devminor']);
const TYPEFLAGS = ['0', '1', '2', '3', '4', '5', '6', '7', 'D', 'K', 'L', 'N', 'S', 'V', 'M', 'g', 'x', 'X', '\0', 'Z'];
const MAGICS = ['ustar\u000000', 'ustar  \u0000', 'ustar\u0000\u0000\u0000', 'ustar\u0000 \u0000', 'USTAR\u000000', '\u0000'.repeat(8)];

export interface Mutation {
  /** What was done, to name the case. */
  what: string;
  gz: Buffer;
}

/** Headers of a tar stream: [offset, kind], where kind is the typeflag. */
export function headerOffsets(tar: Buffer): number[] {
  const out: number[] = [];
  let pos = 0;
  while (pos + BLOCK <= tar.length) {
    if (tar.subarray(pos, pos + BLOCK).every((b) => b === 0)) break;
    out.push(pos);
    const size = parseInt(tar.toString('latin1', pos + 124, pos + 136).replace(/\0.*$/, '').trim() || '0', 8);
    pos += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}

export function mutate(tar: Buffer, offsets: readonly number[], rand: () => number): Mutation {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const at = pick(offsets);
  if (rand() < 0.2) return structural(tar, offsets, at, pick);
  const out = Buffer.from(tar);
  const block = out.subarray(at, at + BLOCK);
  const field = pick(FIELDS);
  const [start, length] = TAR_FIELDS[field];
  const value = interesting(block, field, rand, pick);
  block.fill(0, start, start + length);
  value.copy(block, start, 0, Math.min(length, value.length));
  const seal = rand();
  if (field !== 'checksum') {
    if (seal < 0.9) sealChecksum(block);
    else if (seal < 0.95) sealChecksum(block, 'signed');
  }
  return { what: `${field} of the header at ${at} := ${JSON.stringify(value.toString('latin1'))}`, gz: gzipSync(out) };
}

function interesting(block: Buffer, field: Field, rand: () => number, pick: <T>(items: readonly T[]) => T): Buffer {
  const [start, length] = TAR_FIELDS[field];
  const current = block.subarray(start, start + length);
  const text = current.toString('utf8').replace(/\0.*$/s, '');
  const r = rand();
  if (r < 0.15) {
    // One random byte somewhere in the field.
    const copy = Buffer.from(current);
    copy[Math.floor(rand() * length)] = Math.floor(rand() * 256);
    return copy;
  }
  if (field === 'typeflag') return Buffer.from(pick(TYPEFLAGS), 'latin1');
  if (field === 'magic' || field === 'version') return Buffer.from(pick(MAGICS), 'latin1').subarray(field === 'magic' ? 0 : 6);
  if (NUMERIC.has(field)) {
    const value = parseInt(text.trim() || '0', 8);
    const n = pick([0, 1, value, value + 1, value - 1, 0o644, 0o755, 0o777, 0o666, 0o4755, 0o1777, 1000, 0o100644, 2 ** 33, 512, 1024]);
    const digits = Math.max(0, n).toString(8);
    return Buffer.from(
      pick([
        `${digits.padStart(length - 1, '0')}\0`,
        `${digits.padStart(length - 2, ' ')} \0`,
        `${digits}\0`,
        `${digits} `,
        ` ${digits}\0`,
        `${digits.slice(0, 1)} ${digits.slice(1)}\0`,
        `+${digits}\0`,
        '\0',
        `${digits}\0junk`,
        `\u0080${'\0'.repeat(length - 5)}${String.fromCharCode(n >>> 24 & 255, n >>> 16 & 255, n >>> 8 & 255, n & 255)}`,
        '9'.repeat(length - 1),
      ]),
      'latin1',
    );
  }
  // Text fields: names, link names, owner names, prefix, padding.
  return Buffer.from(
    pick([
      `./${text}`,
      `/${text}`,
      `${text}/`,
      text.replace(/\/[^/]*$/, '/../x'),
      text.replace('/', '//'),
      text.replace('/', '/./'),
      `${text}\0hidden`,
      `${text}\n`,
      `${text.slice(0, -1)}\u00ff`,
      '../../../../x',
      'root',
      '',
      text.split('/').slice(1).join('/'),
      `${text.split('/')[0] ?? ''}/out/server-main.js`,
    ]),
    'utf8',
  );
}

function structural(tar: Buffer, offsets: readonly number[], at: number, pick: <T>(items: readonly T[]) => T): Mutation {
  const before = tar.subarray(0, at);
  const after = tar.subarray(at);
  const next = offsets[offsets.indexOf(at) + 1] ?? tar.length - 2 * BLOCK;
  const entry = tar.subarray(at, next);
  const name = tar.toString('utf8', at, at + 100).replace(/\0.*$/s, '');
  const top = name.split('/')[0] ?? '';
  const choice = pick(['pax', 'global', 'long-name', 'zero-block', 'repeat', 'drop', 'pax-size'] as const);
  if (choice === 'drop') return { what: `dropped the entry at ${at}`, gz: gzipSync(Buffer.concat([before, tar.subarray(next)])) };
  let insert: Buffer;
  switch (choice) {
    case 'pax':
      insert = paxMember([[pick(['path', 'linkpath', 'mtime', 'uid', 'uname', 'comment', 'SCHILY.xattr.user.x', 'GNU.sparse.name']), pick([`${top}/out/server-main.js`, name, 'x', '0', '../../x'])]]);
      break;
    case 'global':
      insert = paxMember([[pick(['path', 'linkpath', 'mtime', 'comment']), pick([`${top}/out/server-main.js`, 'x'])]], 'g');
      break;
    case 'long-name':
      insert = gnuLongMember(pick(['L', 'K'] as const), `${top}/out/server-main.js`);
      break;
    case 'zero-block':
      insert = Buffer.alloc(BLOCK);
      break;
    case 'repeat':
      insert = Buffer.from(entry);
      break;
    case 'pax-size':
      insert = paxMember([['size', pick(['0', '512', '+1', '1 ', '01'])]]);
      break;
  }
  return { what: `${choice} inserted before the header at ${at}`, gz: gzipSync(Buffer.concat([before, insert, after])) };
}
