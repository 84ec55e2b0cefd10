/**
 * The one error type of the toolkit. Libraries throw it; only the CLIs print it and exit.
 * `exitCode` follows the contract shared by all three CLIs: 1 a check failed, 2 usage or
 * unreadable input (0 is success and never an error).
 */
export type ExitCode = 1 | 2;

export interface ToolErrorOptions {
  /** What the user should do about it, printed after the message. */
  hint?: string;
  exitCode?: ExitCode;
  cause?: unknown;
}

export class ToolError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: ToolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ToolError';
    this.code = code;
    this.exitCode = options.exitCode ?? 2;
    this.hint = options.hint;
  }

  /** The one line a CLI prints: message, then the hint when there is one. */
  toLine(): string {
    return this.hint === undefined ? this.message : `${this.message} (${this.hint})`;
  }
}

/** A malformed or hostile ELF file: reported per file, never fatal to a scan of many. */
export class MalformedElfError extends ToolError {
  constructor(detail: string) {
    super('MALFORMED_ELF', `malformed ELF: ${detail}`, { exitCode: 2 });
    this.name = 'MalformedElfError';
  }
}

export function isToolError(error: unknown): error is ToolError {
  return error instanceof ToolError;
}
