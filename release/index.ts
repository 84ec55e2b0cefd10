/** The release module: what a release is, shared by packager (which writes it) and doctor (which verifies it). */
export {
  FormatChecker,
  checkReleaseFormat,
} from './format-check.js';
export {
  MAX_FILE_SIZE,
  PAX_KEYS,
  RELEASE_MODES,
  RELEASE_TYPEFLAGS,
  TOP_FOLDER,
  USTAR_MAGIC,
  USTAR_VERSION,
  linkTargetProblems,
  namingProblems,
  topFolderName,
  ustarFallbackName,
  type FormatRule,
  type FormatViolation,
  type ReleaseEntryType,
} from './format.js';
