/**
 * Strings from inputs (entry names, link targets, symbol and version names, server log lines,
 * manifest values) shown on a terminal: every character that moves the cursor, recolours the
 * screen, reorders text or breaks a line is written as a visible escape instead, so one report
 * line stays one line and shows what the input really holds.
 *
 * Escaped: C0 controls and DEL (`\x1b`, with `\n`, `\r`, `\t` spelled as such), C1 controls
 * (U+0080-U+009F: U+0085 NEL ends a line for some readers, U+009B is a one-byte CSI), Unicode line
 * and paragraph separators, bidi embeddings/overrides/isolates and marks ("Trojan Source",
 * CVE-2021-42574), and lone UTF-16 surrogates (a JSON manifest can spell `"\ud800"`). The
 * backslash itself is doubled, so an entry literally named `a\x1b` cannot pass for an ESC.
 * Bytes that are not UTF-8 reach us already decoded as U+FFFD by Buffer#toString('utf8'): that
 * character is visible and left alone; `visibleBytes` shows such bytes as `\xNN` where the raw
 * bytes are at hand.
 */

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

// One alternation: a valid surrogate pair passes through; everything listed above is caught.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\ud800-\udbff][\udc00-\udfff]|[\u0000-\u001f\u007f-\u009f\\\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/g;

function escapeOne(char: string): string {
  if (char.length === 2) return char;
  const named = NAMED[char];
  if (named !== undefined) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

export interface VisibleOptions {
  /** Keep `\n` as a real line break (multi-line bodies whose lines are ours); default: escape it. */
  keepNewlines?: boolean;
}

/** The text with every unsafe character shown as an escape; plain text comes back unchanged. */
export function visible(text: string, options: VisibleOptions = {}): string {
  if (options.keepNewlines === true) return text.split('\n').map((line) => visible(line)).join('\n');
  return text.replace(UNSAFE, escapeOne);
}

/** Raw bytes (a name before decoding): valid UTF-8 sequences as text, the rest as `\xNN`. */
export function visibleBytes(bytes: Uint8Array): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length === 0) {
      out += `\\x${(bytes[i] as number).toString(16).padStart(2, '0')}`;
      i += 1;
      continue;
    }
    out += visible(decoder.decode(bytes.subarray(i, i + length)));
    i += length;
  }
  return out;
}

/** Length of the well-formed UTF-8 sequence at `i` (Unicode Table 3-7), 0 when it is not one. */
function sequenceLength(b: Uint8Array, i: number): number {
  const b0 = b[i] as number;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const v = b[i + k];
    return v !== undefined && v >= lo && v <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 >= 0xe1 && b0 <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** Display width for layout: escapes are already ASCII, other code points count one column. */
export function displayLength(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

/**
 * Shortens `text` to at most `width` columns by cutting its middle (`node_modules/…/pty.node`):
 * both ends of a path say the most. Cuts between code points, never inside a surrogate pair.
 */
export function shortenMiddle(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return '…'.slice(0, width);
  const keep = width - 1;
  const head = Math.ceil(keep / 2);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (keep - head)).join('')}`;
}
