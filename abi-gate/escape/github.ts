/**
 * GitHub workflow commands (`::error file=...,title=...::message`). The runner splits commands on
 * line ends and decodes `%25`, `%0D`, `%0A` in the message, plus `%3A` and `%2C` in property values
 * (actions/toolkit packages/core/src/command.ts: escapeData, escapeProperty). Input strings are
 * first made visible (terminal.ts), so an ESC or a NEL in a name shows in the log as text.
 */
import { visible } from './terminal.js';

function encodeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A message made of lines: each line is made visible, then the whole is encoded as one command. */
export function workflowMessage(lines: readonly string[]): string {
  return encodeData(lines.map((line) => visible(line)).join('\n'));
}

/** A `file=` or `title=` value: visible, then encoded so `:` and `,` cannot end it early. */
export function workflowProperty(text: string): string {
  return encodeData(visible(text)).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
