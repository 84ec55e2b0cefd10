/** The packager library: build releases, and the manifest contract doctor reads. */
export { build } from './build.js';
export { PACKAGER, runCli, type CliIo } from './cli.js';
export { SUMS_FILE } from './publish.js';
export type { BuildResult, PrunedBinary } from './build.js';
export type { BuildOptions, BuildProgress, NodeFlavor } from './options.js';
export { DEFAULT_SOURCE_DATE_EPOCH } from './options.js';
// The manifest contract is the release module's; re-exported for users of packager's API.
export { MANIFEST_SCHEMA_PATH, NODE_MODULE_VERSIONS, releaseBaseName, validateManifest } from '../release/index.js';
export type { Manifest, ManifestCulprit, ManifestFile, ManifestValidation, TargetArch } from '../release/index.js';
export { FetchDownloader } from './download.js';
export type { Downloader, DownloadResponse } from './download.js';
export type { NativeChange } from './natives.js';
export type { StrippedCounts } from './tree.js';
