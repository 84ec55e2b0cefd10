import { ToolError, type ToolErrorCode } from '../errors.js';

/** Why a tarball could not be read: doctor maps every kind to its `integrity` check. */
export type TarErrorKind =
  | 'missing'
  | 'not-gzip'
  | 'gzip-corrupt'
  | 'truncated'
  | 'bad-header'
  | 'trailing-garbage'
  | 'limit';

const CODES: Record<TarErrorKind, ToolErrorCode> = {
  missing: 'TAR_MISSING',
  'not-gzip': 'TAR_NOT_GZIP',
  'gzip-corrupt': 'TAR_GZIP_CORRUPT',
  truncated: 'TAR_TRUNCATED',
  'bad-header': 'TAR_BAD_HEADER',
  'trailing-garbage': 'TAR_TRAILING_GARBAGE',
  limit: 'TAR_LIMIT',
};

/** A tarball that cannot be read as one: unreadable input, exit code 2. */
export class TarError extends ToolError {
  readonly kind: TarErrorKind;

  constructor(kind: TarErrorKind, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(CODES[kind], message, { ...options, exitCode: 2 });
    this.name = 'TarError';
    this.kind = kind;
  }
}

export function isTarError(error: unknown): error is TarError {
  return error instanceof TarError;
}
