/** abi-gate's public API: what packager, doctor and users' scripts may import. */
export type {
  BinaryFormat,
  ByteSource,
  Culprit,
  ElfType,
  Endian,
  Libc,
  Machine,
  NodeAddonInfo,
  Policy,
  PolicyArch,
  PolicyCheckResult,
  ScanEntry,
  ScanReport,
  ScanSummary,
  ScannedFile,
  TreeIndex,
  UnreadableFile,
  VersionNeed,
  Violation,
  ViolationKind,
} from './types.js';
export {
  ToolError,
  MalformedElfError,
  TOOL_ERROR_CODES,
  hasCode,
  isToolError,
  type ExitCode,
  type ToolErrorCode,
  type ToolErrorOptions,
} from './errors.js';

// Reading one binary
export { FileSource, BufferSource, ChunkSource } from './elf/byte-source.js';
export { detectFormat, FORMAT_SNIFF_BYTES, type DetectedFormat } from './format.js';
export { scanFile, scanSource, scanBuffer } from './scan-file.js';
export {
  ABI_MARKERS,
  compareVersions,
  effectiveVersion,
  isNumericVersion,
  maxRequires,
  requirementsOf,
  splitVersion,
  type Requirements,
} from './requirements.js';

// Walking files, folders and tarballs
export { dropTopFolder, normalizeArchivePath, singleTopFolder, stripTopFolder, type ArchivePath } from './top-folder.js';
export { scanPaths, type ScanOptions } from './scan.js';
export { TarBinaryCollector, type ChunkObserver, type CollectHooks, type CollectOptions } from './scan-stream.js';
export { compareKernel, highestKernel } from './elf/abi-tag.js';
export { ScanTree, isLocating, type LocatingTreeIndex, type TreeLocation } from './scan-tree.js';

// Policies and the check
export { loadPolicy, toPolicy, BUILT_IN_POLICIES, type PolicyDocument } from './policy.js';
export { checkFiles, isScanned } from './check.js';
export { familyMaxima, type FamilyMaximum } from './family-maxima.js';
export { resolveNeeded, searchDirs, type SearchPathOwner } from './resolve-library.js';
export { predictLoad, type LoadPrediction, type Runtime } from './predict.js';

// The CLI, for callers that run it in-process (tests, scripts)
export { ABI_GATE, main as runCli } from './cli.js';

// Output
export { formatScanTable, formatCheck, summaryLine, checkHints, DEFAULT_WIDTH, type HumanOptions } from './report-human.js';
export {
  cxxfilt,
  noDemangler,
  isMangled,
  readable,
  demangleText,
  mangledTokens,
  withDemangled,
  culpritSymbols,
  demangleJson,
  type Demangled,
  type Demangler,
} from './demangle.js';
export { fixHints, hintLines, FIX_HINTS, type FixHint, type FixHintId } from './hints.js';
export {
  visible,
  visibleBytes,
  shortenMiddle,
  displayLength,
  workflowMessage,
  workflowProperty,
  markdownText,
  xmlAttribute,
  xmlText,
  type VisibleOptions,
} from './escape/index.js';

// The one tar reader (also importable alone from ./tar/index.js)
export {
  readTar,
  TarError,
  isTarError,
  parsePaxRecords,
  type EntryBody,
  type ReadTarOptions,
  type ReadTarResult,
  type TarEntryHandler,
  type TarEntryInfo,
  type TarEntryType,
  type TarErrorKind,
  type TarLimits,
  type TarMetaRecord,
  TAR_FIELDS,
  TAR_BLOCK,
  bodyOffset,
  entryEndOffset,
} from './tar/index.js';

// The one CLI shell of the three tools (commands, help, version, errors, signals)
export { defineCommand, runTool, runBin, packageVersion, type Command, type CommandContext, type CommandSpec, type ExitStatus, type RunOptions, type ToolSpec } from './cli-shell.js';
export { errorBody, formatCliError, printCliError, type CliErrorBody, type CliIo } from './cli-error.js';
export { trapSignals, ABORT_GRACE_MS, type SignalTarget, type SignalTrap, type TrappedSignal } from './cli-signals.js';
