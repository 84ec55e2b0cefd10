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
export { ToolError, MalformedElfError, isToolError, type ExitCode, type ToolErrorOptions } from './errors.js';

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
export { scanPaths, type ScanOptions } from './scan.js';
export { ScanTree, isLocating, type LocatingTreeIndex, type TreeLocation } from './scan-tree.js';

// Policies and the check
export { loadPolicy, toPolicy, BUILT_IN_POLICIES, type PolicyDocument } from './policy.js';
export { checkFiles, isScanned } from './check.js';
export { familyMaxima, type FamilyMaximum } from './family-maxima.js';
export { resolveNeeded, searchDirs, type SearchPathOwner } from './resolve-library.js';
export { predictLoad, type LoadPrediction, type Runtime } from './predict.js';

// Output
export { formatScanTable, formatCheck, summaryLine } from './report-human.js';

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
} from './tar/index.js';
