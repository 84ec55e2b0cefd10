/**
 * Text from inputs inside the step summary's markdown (GitHub-flavoured, rendered to HTML that
 * GitHub sanitises): a `|` would end a table cell, a backtick open a code span, `<img src=...>` or
 * `![](url)` load a remote image, `[x](url)` plant a link, `*`/`_`/`~` restyle the row, `$` start
 * GitHub's math. Any ASCII punctuation may be backslash-escaped in CommonMark (spec 0.30,
 * "Backslash escapes"), so those are; `<`, `>` and `&` become entities, which also stops raw
 * HTML. Control characters and line breaks are made visible first (terminal.ts): a table row is
 * one line.
 */
import { visible } from './terminal.js';

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** One line of plain text for a table cell, a list item or a heading. */
export function markdownText(text: string): string {
  return visible(text)
    .replace(/[&<>]/g, (c) => ENTITY[c] as string)
    .replace(/[\\`*_[\]()#!|~$]/g, (c) => `\\${c}`);
}
