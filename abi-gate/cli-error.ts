/**
 * How the three CLIs report an error: one stderr line (`<tool> <command>: <message> (<hint>)`,
 * then indented details, then the stack under DEBUG), and under `--json` one body on stdout that
 * CI reads. abi-gate's bundled start-up loads this file, so it imports nothing but the error type and
 * the dependency-free terminal escaping.
 */
import { isToolError } from './errors.js';
import { visible } from './escape/terminal.js';

/** The CLI's outside world; tests hand in string collectors and an env of their choosing. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Whether stderr is a terminal: progress bars only then. */
  stderrIsTTY?: boolean;
}

export interface CliErrorOutput {
  /** stderr lines, without newlines: the one-line message, then `details`, then the stack under DEBUG. */
  lines: string[];
  exitCode: 1 | 2;
}

/** The `--json` error body, the same on every tool and command (a contract: keys are only added). */
export interface CliErrorBody {
  ok: false;
  error: {
    /** The ToolError code (`USAGE`, `BAD_COMMIT`, ...); `INTERNAL` for a bug in the tool. */
    code: string;
    message: string;
    hint: string | null;
    exitCode: 1 | 2;
    /** One line per finding (a failed build check lists its files); often empty. */
    details: string[];
  };
}

/** Stacks are for whoever turned diagnostics on (`DEBUG=remote-ai:*`), never for the report. */
export function debugEnabled(env: NodeJS.ProcessEnv): boolean {
  return (env.DEBUG ?? '') !== '';
}

/** Per-file lines some errors carry (a failed build check); any ToolError may add them. */
export function detailsOf(error: unknown): string[] {
  if (!isToolError(error) || !('details' in error)) return [];
  const details: unknown = error.details;
  return Array.isArray(details) ? details.map(String) : [];
}

/**
 * `<prefix>: <message> (<hint>)` for a ToolError, with its exit code; anything else is a bug in the
 * tool, said so (`internal error:`) and exits 2. `details` are indented under the message. The
 * prefix is the tool, or the tool and its command (`doctor verify`) once a command was named.
 */
export function formatCliError(prefix: string, error: unknown, debug: boolean, details: readonly string[] = detailsOf(error)): CliErrorOutput {
  const known = isToolError(error);
  const message = error instanceof Error ? error.message : String(error);
  // Messages name paths and entries from inputs: shown visibly, one line each (escape/terminal.ts).
  const lines = [`${prefix}: ${visible(known ? error.toLine() : `internal error: ${message}`)}`, ...details.map((line) => `  ${visible(line)}`)];
  if (debug && error instanceof Error && error.stack !== undefined) lines.push(error.stack);
  return { lines, exitCode: known ? error.exitCode : 2 };
}

export function errorBody(error: unknown): CliErrorBody {
  const known = isToolError(error);
  const message = error instanceof Error ? error.message : String(error);
  return {
    ok: false,
    error: {
      code: known ? error.code : 'INTERNAL',
      message: known ? message : `internal error: ${message}`,
      hint: known ? (error.hint ?? null) : null,
      exitCode: known ? error.exitCode : 2,
      details: detailsOf(error),
    },
  };
}

/**
 * Writes the error line to stderr (and, with `json`, the error body to stdout) and returns the
 * exit code. The one printer of every error in the three tools.
 */
export function printCliError(prefix: string, error: unknown, io: CliIo, json = false): 1 | 2 {
  const { lines, exitCode } = formatCliError(prefix, error, debugEnabled(io.env));
  if (json) io.stdout(`${JSON.stringify(errorBody(error), null, 2)}\n`);
  io.stderr(`${lines.join('\n')}\n`);
  return exitCode;
}
