/**
 * The one error type of the toolkit. Libraries throw it; only the CLIs print it and exit.
 * `exitCode` follows the contract shared by all three CLIs: 1 a check failed, 2 usage or
 * unreadable input (0 is success and never an error).
 *
 * Every code is declared once in TOOL_ERROR_CODES below: `--json` error bodies carry the code,
 * so it is a contract (add codes, never rename one), and the table is where a reader finds what
 * a code means and which exit code it maps to by default.
 */
export type ExitCode = 1 | 2;

interface CodeInfo {
  /** The exit code when the thrower does not choose one. */
  exitCode: ExitCode;
  /** What went wrong, for whoever meets the code in a `--json` body. */
  meaning: string;
}

const usage = (meaning: string): CodeInfo => ({ exitCode: 2, meaning });
const failed = (meaning: string): CodeInfo => ({ exitCode: 1, meaning });

/** Every ToolError code, grouped by the tool that throws it. */
export const TOOL_ERROR_CODES = {
  // Shared by the three CLIs.
  USAGE: usage('a command line the tool cannot run: unknown flag, missing argument, bad value'),
  INTERRUPTED: usage('SIGINT or SIGTERM stopped the run; what it had started was cleaned up'),

  // abi-gate: ELF, policies, scans.
  MALFORMED_ELF: usage('an ELF file whose headers or tables cannot be read as the loader would'),
  POLICY_UNKNOWN: usage('--policy names no built-in policy and no file'),
  POLICY_UNREADABLE: usage('the policy file cannot be read'),
  POLICY_JSON: usage('the policy file is not JSON'),
  POLICY_SCHEMA: usage('the policy file does not match abi-gate/policy.schema.json'),
  SCAN_MISSING: usage('a path given to scan or check does not exist or cannot be read'),

  // abi-gate/tar: one per TarErrorKind.
  TAR_MISSING: usage('the tarball does not exist or is not a regular file'),
  TAR_NOT_GZIP: usage('the file is not gzip (no 1f 8b magic)'),
  TAR_GZIP_CORRUPT: usage('the gzip stream is corrupt'),
  TAR_TRUNCATED: usage('the archive ends inside an entry or before its end blocks'),
  TAR_BAD_HEADER: usage('a tar header the reader refuses'),
  TAR_TRAILING_GARBAGE: usage('bytes after the end of the gzip stream'),
  TAR_LIMIT: usage('the archive crosses a size, entry or decompression-ratio limit'),

  // release: the tarball as a whole and what a release may hold.
  TARBALL_UNREADABLE: usage('a release tarball that cannot be opened (missing, a folder, no permission)'),
  UNSAFE_ENTRY: usage('an entry a release may not hold or an extractor must not write (path, type, link)'),
  HOST_CHECK_MACHINE: usage('a release for an ELF machine no host check script is generated for'),

  // packager build.
  BAD_ARCH: usage('--arch is not x64 or arm64'),
  BAD_COMMIT: usage('--commit is not 40 lowercase hex digits'),
  BAD_NAME: usage('--name is not a plain file name'),
  BAD_NODE_FLAVOR: usage('--node-flavor is not official or glibc-217'),
  BAD_SOURCE_DATE_EPOCH: usage('SOURCE_DATE_EPOCH is not a number of seconds'),
  INPUT_MISSING: usage('--server or --native names nothing'),
  INPUT_KIND: usage('--server or --native is neither a folder nor a .tar.gz'),
  INPUT_CHANGED: usage('an input file changed size while it was packed'),
  FILE_TOO_LARGE: usage('a server file of 8 GiB or more: the release format holds none'),
  SERVER_INCOMPLETE: usage('the server build lacks out/server-main.js or product.json'),
  PRODUCT_JSON: usage('the server product.json is not a JSON object'),
  COMMIT_MISMATCH: usage('product.json names another commit than --commit'),
  TREE_CONFLICT: usage('an overlay path runs through a file of the server'),
  UNSAFE_SYMLINK: usage('a symlink that overlays may not hold or that leaves the server'),
  UNSUPPORTED_FILE: usage('a device, FIFO or socket in the server folder'),
  NATIVE_REFUSED: usage('a --native file is not a glibc Linux ELF of the target arch'),
  NATIVE_NEW: usage('a --native file replaces nothing in the server (pass --allow-new)'),
  NATIVE_CONFLICT: usage('a --native file would replace a folder or link of the server'),
  NODE_MISSING: usage('--node is neither a file nor a version'),
  NODE_REQUIRED: usage('the server has no node and --node was not given'),
  NODE_REFUSED: usage('the node binary is not a glibc Linux ELF of the target arch'),
  NODE_TARBALL_NAME: usage('a node tarball whose name carries no version'),
  NODE_TARBALL_EMPTY: usage('a node tarball without <folder>/bin/node'),
  NODE_VERSION_UNKNOWN: usage('no node version string in the node binary'),
  NODE_VERSION_MISMATCH: usage('the node binary says another version than its tarball name'),
  NODE_MODULE_VERSION_UNKNOWN: usage('a node major whose NODE_MODULE_VERSION the toolkit does not know'),
  NODE_WRONG_ARCH: usage('a node tarball for another arch than --arch'),
  NODE_FLAVOR_ARCH: usage('--node-flavor glibc-217 for an arch it does not exist for'),
  SHASUMS_TOO_LARGE: usage('SHASUMS256.txt is far larger than any real one'),
  CHECKSUM_MISSING: usage('SHASUMS256.txt has no line for the download'),
  CHECKSUM_MISMATCH: usage('a download does not match its SHASUMS256.txt line'),
  CACHE_UNWRITABLE: usage('the download cache folder cannot be created'),
  DOWNLOAD_UNREACHABLE: usage('the mirror cannot be reached'),
  DOWNLOAD_STATUS: usage('the mirror answered with an HTTP error'),
  DOWNLOAD_FAILED: usage('a download broke off'),
  OUT_UNWRITABLE: usage('--out cannot be written'),
  NO_SPACE: usage('no space left in --out, the temp folder or the cache (ENOSPC); the message names the folder'),
  QUOTA_EXCEEDED: usage('a disk quota was exceeded (EDQUOT); the message names the folder'),
  READ_ONLY: usage('a folder the build writes in is on a read-only mount (EROFS)'),
  FOREIGN_BINARIES: failed('binaries for another OS, arch or libc in the release (see details)'),
  POLICY_VIOLATION: failed('binaries the policy refuses (see details)'),

  // doctor.
  VERIFY_USAGE: usage('doctor verify options that do not fit together'),
  DIFF_UNREADABLE: usage('a release given to doctor diff cannot be read to its end'),
  REPORT_WRITE: usage('a report file (JUnit, JSON) cannot be written'),
  STEP_SUMMARY: usage('GITHUB_STEP_SUMMARY cannot be appended to'),
  DOCKER_UNREACHABLE: usage('no Docker engine answers'),
  IMAGE_RECIPE_MISSING: usage('the boot image recipe is not beside the doctor install'),
  IMAGE_BUILD: usage('docker build of the boot image failed'),
  IMAGE_MISSING: usage('the boot image is neither in the engine nor pullable'),
  BOOT_INSTALL: failed('the container tar could not install the release'),
  BOOT_NO_LAUNCHER: failed('the installed release has no launcher in bin/'),
  // doctor ssh: the connection (doctor/ssh/faults.ts) and the host, each an environment problem.
  SSH_MISSING: usage('no OpenSSH client (ssh) on PATH'),
  SSH_AUTH: usage('the host refused the login (doctor ssh never prompts: BatchMode=yes)'),
  SSH_HOST_KEY: usage('the host key is unknown or does not match known_hosts'),
  SSH_UNREACHABLE: usage('ssh cannot reach the host (name, port, sshd, ProxyJump)'),
  SSH_CONFIG: usage('ssh cannot read its configuration (--ssh-config, --ssh-option, ~/.ssh/config)'),
  SSH_FAILED: usage('ssh failed for another reason (its last line is in the message)'),
  SSH_FORWARD: usage('the host sshd refused the port forward to the server'),
  HOST_SHELL: usage('the login shell did not run the sh-quoted bootstrap script'),
  HOST_TMP: usage('no temporary folder can be made on the host'),
  HOST_NO_TAR: usage('the host has no tar or gzip to install with'),
  HOST_HOME_UNWRITABLE: usage('~/.remote-ai-server/bin cannot be written on the host'),
  HOST_NOEXEC: usage('files in ~/.remote-ai-server cannot be executed on the host (noexec)'),
  HOST_DISK_FULL: usage('not enough free space on the host for the install'),
  HOST_INSTALL: usage('the install folder cannot be made, locked or renamed on the host'),
  HOST_REMOVE: usage('--remove could not delete the install on the host'),
} as const satisfies Record<string, CodeInfo>;

export type ToolErrorCode = keyof typeof TOOL_ERROR_CODES;

export interface ToolErrorOptions {
  /** What the user should do about it, printed after the message. */
  hint?: string;
  /** Default: the code's exit code in TOOL_ERROR_CODES. */
  exitCode?: ExitCode;
  /** One line per offending thing (file, entry), printed under the message and in `--json`. */
  details?: readonly string[];
  cause?: unknown;
}

export class ToolError extends Error {
  readonly code: ToolErrorCode;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly details: readonly string[];

  constructor(code: ToolErrorCode, message: string, options: ToolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ToolError';
    this.code = code;
    this.exitCode = options.exitCode ?? TOOL_ERROR_CODES[code].exitCode;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }

  /** The one line a CLI prints: message, then the hint when there is one. */
  toLine(): string {
    return this.hint === undefined ? this.message : `${this.message} (${this.hint})`;
  }
}

/**
 * A malformed or hostile ELF file: reported per file, never fatal to a scan of many. A subclass
 * only so the scanners can tell it from other ToolErrors with `instanceof`; its code is
 * MALFORMED_ELF like any other.
 */
export class MalformedElfError extends ToolError {
  constructor(detail: string) {
    super('MALFORMED_ELF', `malformed ELF: ${detail}`, { exitCode: 2 });
    this.name = 'MalformedElfError';
  }
}

export function isToolError(error: unknown): error is ToolError {
  return error instanceof ToolError;
}

/** True for a ToolError with one of `codes`: how callers branch on a known failure. */
export function hasCode(error: unknown, ...codes: readonly ToolErrorCode[]): error is ToolError {
  return isToolError(error) && codes.includes(error.code);
}
