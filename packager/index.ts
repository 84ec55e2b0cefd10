/** The packager library: build releases, and the manifest contract doctor reads. */
export { build } from './build.js';
export type { BuildResult, PrunedBinary } from './build.js';
export type { BuildOptions, BuildProgress, NodeFlavor } from './options.js';
export { DEFAULT_SOURCE_DATE_EPOCH } from './options.js';
export { BuildCheckError } from './check-error.js';
export { MANIFEST_SCHEMA_PATH, releaseBaseName, validateManifest } from './manifest.js';
export type { ManifestValidation } from './manifest.js';
export type { Manifest, ManifestCulprit, ManifestFile, TargetArch } from './manifest-types.js';
export { FetchDownloader } from './download.js';
export type { Downloader, DownloadResponse } from './download.js';
export { NODE_MODULE_VERSIONS } from './node.js';
export type { NativeChange } from './natives.js';
export type { StrippedCounts } from './tree.js';
