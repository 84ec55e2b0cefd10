import { isUtf8 } from 'node:buffer';

/**
 * JSON as a contract file must be read: bytes checked before they are trusted. RFC 8259 leaves
 * duplicate object keys to the reader ("the names within an object SHOULD be unique"), and readers
 * differ: JSON.parse keeps the last, others the first, so a manifest with `"commit"` twice is two
 * different manifests. Invalid UTF-8 is replaced by U+FFFD by a lenient decoder, so two readers
 * again see different strings. Both are refused here, each with one line that says where.
 */

/** The offset of the first byte that is not part of well-formed UTF-8 (RFC 3629), or -1. */
export function invalidUtf8At(bytes: Uint8Array): number {
  // node's native check (simdutf) answers the common case; the walk below only says where.
  if (isUtf8(bytes)) return -1;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return i;
    i += need + 1;
  }
  return -1;
}

/** `/a/b~1c/0`: where a value sits, as a JSON Pointer (RFC 6901). */
function pointer(path: readonly (string | number)[]): string {
  return path.length === 0 ? '/' : path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

/**
 * The first key that appears twice in one object of `text`, which must already be valid JSON
 * (JSON.parse succeeded): null when every object's keys are unique. Keys are compared decoded,
 * so `"a"` and `"\u0061"` are the same key, as every reader sees them.
 */
export function firstDuplicateKey(text: string): { key: string; at: string } | null {
  interface Frame {
    keys: Set<string> | null;
    index: number;
    key: string | null;
  }
  const stack: Frame[] = [];
  const path = (): (string | number)[] => stack.slice(0, -1).map((f) => (f.keys === null ? f.index : (f.key ?? '')));
  let expectKey = false;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: find its end, skipping escaped characters.
      let j = i + 1;
      let escaped = false;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          escaped = true;
          j += 2;
          continue;
        }
        if (d === 0x22) break;
        j += 1;
      }
      const frame = stack[stack.length - 1];
      if (expectKey && frame?.keys != null) {
        const raw = text.slice(i, j + 1);
        const key = escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
        if (frame.keys.has(key)) return { key, at: pointer(path()) };
        frame.keys.add(key);
        frame.key = key;
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b) {
      stack.push({ keys: new Set(), index: 0, key: null });
      expectKey = true;
    } else if (c === 0x5b) {
      stack.push({ keys: null, index: 0, key: null });
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      const frame = stack[stack.length - 1];
      if (frame !== undefined) {
        if (frame.keys === null) frame.index += 1;
        else expectKey = true;
      }
    }
    i += 1;
  }
  return null;
}
