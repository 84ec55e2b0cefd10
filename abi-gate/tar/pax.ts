import { TarError } from './errors.js';

/**
 * Parses pax extended-header records (`"<len> <key>=<value>\n"`) byte-exactly and keeps every
 * key. node-tar's own parser keeps only the keys it knows, splits on newlines (a value holding a
 * newline is lost) and cuts values at NUL, which hides exactly what doctor must see
 * (`LIBARCHIVE.xattr.*`, `SCHILY.xattr.*`, NUL in a path).
 */
export function parsePaxRecords(body: Buffer, where: string): Record<string, string> {
  const records: Record<string, string> = Object.create(null) as Record<string, string>;
  let pos = 0;
  while (pos < body.length) {
    // Some writers pad the body with NULs after the last record.
    if (body[pos] === 0) break;
    const space = body.indexOf(0x20, pos);
    const lengthText = space < 0 ? '' : body.toString('latin1', pos, space);
    const length = /^[0-9]{1,10}$/.test(lengthText) ? Number(lengthText) : NaN;
    const end = pos + length;
    if (!Number.isSafeInteger(length) || length <= space - pos + 1 || end > body.length || body[end - 1] !== 0x0a) {
      throw new TarError('bad-header', `${where}: malformed pax record at byte ${pos} of the extended header`);
    }
    const eq = body.indexOf(0x3d, space + 1);
    if (eq < 0 || eq >= end - 1) {
      throw new TarError('bad-header', `${where}: pax record at byte ${pos} has no '='`);
    }
    records[body.toString('utf8', space + 1, eq)] = body.toString('utf8', eq + 1, end - 1);
    pos = end;
  }
  return records;
}

/** A pax size/uid-like number as tar readers accept it, or undefined. */
export function paxNumber(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-9]+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}
