/**
 * The release module: what a release is, in one place. packager produces releases with these
 * rules and doctor verifies them with the same ones. It stands on abi-gate and on nothing else.
 */

// Targets and names
export { TARGET_ARCHES, archOfMachine, archOfUname, isTargetArch, unameSpellingsOf, machineOf, targetDisagreement, type TargetArch, type TargetClaims } from './arch.js';
export {
  COMMIT,
  RELEASE_NAME,
  manifestFileName,
  parseTarballName,
  releaseBaseName,
  sidecarManifestPath,
  tarballFileName,
  type FileNameParts,
} from './naming.js';
export { dropTopFolder, normalizeArchivePath, singleTopFolder, stripTopFolder, type ArchivePath } from '../abi-gate/index.js';

// The manifest
export { ABI_FAMILIES, ABI_FAMILY_NAMES, type AbiFamily, type AbiKey, type Manifest, type ManifestCulprit, type ManifestFile } from './manifest-types.js';
export { compileManifestSchema, MANIFEST_SCHEMA_PATH, MANIFEST_VALIDATOR_PATH, serializeManifest, validateManifest, type ManifestValidation } from './manifest.js';
export { MAX_MANIFEST_BYTES, loadManifest, parseManifestBytes, type ManifestLoad } from './manifest-load.js';
export { firstDuplicateKey, invalidUtf8At } from './strict-json.js';

// Entries: what a release may hold
export {
  MAC_LITTER_LABEL,
  MAX_DEPTH,
  isAbsoluteOrDrive,
  isXattrPaxKey,
  kindFindings,
  macLitterOf,
  pathFindings,
  type EntryKind,
  type MacLitter,
  type ReleaseEntry,
} from './entries.js';
export { EntryWalk, walkEntries, type EntryFinding } from './entry-walk.js';
export { LinkResolver, within, type Resolution } from './links.js';

// What the release's files say
export { NODE_MODULE_VERSIONS, NodeVersionFinder, findNodeVersion, moduleVersionOf, nodeModuleVersion } from './node-version.js';
export { parseProductJson, productCommit, type ProductCommit, type ProductJson } from './product.js';
export { compareVersions } from '../abi-gate/index.js';

// Writing outputs
export { replaceAtomically, tempBeside, writeFileAtomic, type ReplaceOptions } from './atomic-write.js';

// The host check: what a release asks of the host, and the check-requirements.sh made from it
export {
  hostRequirements,
  FLOOR_LIBRARY,
  type FloorFamily,
  type HostCause,
  type HostFloor,
  type HostLibrary,
  type HostRequirements,
} from './host-check/requirements.js';
export { checkRequirementsScript, requirementLines, causeText, CHECK_SCRIPT_PATH, UNMET_EXIT_CODE } from './host-check/script.js';
export { diffHostRequirements, type HostRequirementChange } from './host-check/diff.js';

// The release format: the one tar.gz layout packager writes and doctor accepts
export { FormatChecker, checkReleaseFormat } from './format-check.js';
export {
  MAX_FILE_SIZE,
  PAX_KEYS,
  RELEASE_MODES,
  RELEASE_TYPEFLAGS,
  isTopFolderName,
  USTAR_MAGIC,
  USTAR_VERSION,
  linkTargetProblems,
  namingProblems,
  ustarFallbackName,
  type FormatRule,
  type FormatViolation,
  type ReleaseEntryType,
} from './format.js';
export {
  currentProcessOwner,
  deadOwnedNames,
  makeOwnedDir,
  ownerAlive,
  ownerTag,
  parseOwnerTag,
  pidExists,
  processRuns,
  processStart,
  removeDeadOwned,
  type ProcessOwner,
} from './process-owner.js';
