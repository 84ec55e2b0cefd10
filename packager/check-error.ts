import { ToolError } from '../abi-gate/index.js';

/**
 * A check over the assembled release failed (foreign binaries, policy gate): exit 1, with one
 * line per offending file in `details` for the CLI to print under the message.
 */
export class BuildCheckError extends ToolError {
  readonly details: readonly string[];

  constructor(code: string, message: string, details: readonly string[], hint: string) {
    super(code, message, { hint, exitCode: 1 });
    this.name = 'BuildCheckError';
    this.details = details;
  }
}
