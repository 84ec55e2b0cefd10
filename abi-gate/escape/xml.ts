/**
 * Text and attribute values of XML 1.0 documents (JUnit reports). XML forbids most C0 controls,
 * lone surrogates, U+FFFE and U+FFFF even as character references (XML 1.0 section 2.2, "Char"),
 * so a hostile name would make the whole report unparsable: those, and the characters terminal.ts
 * shows visibly, become visible escapes. Markup characters become entities; in attributes, tab,
 * CR and LF become references because attribute-value normalisation would turn them into spaces
 * (section 3.3.3). `]]>` cannot survive: `>` is always escaped.
 */
import { visible } from './terminal.js';

const ENTITY: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\n': '&#10;',
  '\r': '&#13;',
  '\t': '&#9;',
};

// visible() keeps U+FFFE/U+FFFF (they are not controls); XML forbids them.
const NONCHARACTERS = /[\ufffe\uffff]/g;

function safe(text: string, keepNewlines: boolean): string {
  return visible(text, { keepNewlines }).replace(NONCHARACTERS, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** An attribute value (inside double or single quotes): stays one line. */
export function xmlAttribute(text: string): string {
  return safe(text, false).replace(/[&<>"'\n\r\t]/g, (c) => ENTITY[c] as string);
}

/**
 * Element content: a string keeps its line breaks, each line's controls shown visibly; a list of
 * strings (a message and its details, each from an input) becomes one line per item, so a newline
 * inside an item is shown as `\n` and cannot fake a line of its own.
 */
export function xmlText(text: string | readonly string[]): string {
  const joined = typeof text === 'string' ? safe(text, true) : text.map((line) => safe(line, false)).join('\n');
  return joined.replace(/[&<>]/g, (c) => ENTITY[c] as string);
}
