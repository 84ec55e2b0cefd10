/**
 * What the three CLIs share at their edge: the streams they write to and how an error is printed.
 * abi-gate's bundled start-up loads this file, so it imports nothing but the error type and the
 * dependency-free terminal escaping.
 */
import { isToolError } from './errors.js';
import { visible } from './escape/terminal.js';

/** The CLI's outside world; tests hand in string collectors and an env of their choosing. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
}

export interface CliErrorOutput {
  /** stderr lines, without newlines: the one-line message, then `details`, then the stack under DEBUG. */
  lines: string[];
  exitCode: 1 | 2;
}

/** Stacks are for whoever turned diagnostics on (`DEBUG=remote-ai:*`), never for the report. */
export function debugEnabled(env: NodeJS.ProcessEnv): boolean {
  return (env.DEBUG ?? '') !== '';
}

/**
 * `<tool>: <message> (<hint>)` for a ToolError, with its exit code; anything else is a bug in the
 * tool, said so (`internal error:`) and exits 2. `details` are indented under the message.
 */
export function formatCliError(tool: string, error: unknown, debug: boolean, details: readonly string[] = []): CliErrorOutput {
  const known = isToolError(error);
  const message = error instanceof Error ? error.message : String(error);
  // Messages name paths and entries from inputs: shown visibly, one line each (escape/terminal.ts).
  const lines = [`${tool}: ${visible(known ? error.toLine() : `internal error: ${message}`)}`, ...details.map((line) => `  ${visible(line)}`)];
  if (debug && error instanceof Error && error.stack !== undefined) lines.push(error.stack);
  return { lines, exitCode: known ? error.exitCode : 2 };
}

/** Writes `formatCliError` to the CLI's stderr and returns the exit code. */
export function printCliError(tool: string, error: unknown, io: CliIo, details: readonly string[] = []): 1 | 2 {
  const { lines, exitCode } = formatCliError(tool, error, debugEnabled(io.env), details);
  io.stderr(`${lines.join('\n')}\n`);
  return exitCode;
}
