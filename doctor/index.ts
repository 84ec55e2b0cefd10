/** doctor's public API: verify, diff and the report writers. */
export { verify, verifyTarball, resolveVerifyOptions, exitCodeOf, mapLimited, type ResolvedVerifyOptions } from './verify.js';
export { readTarballFacts } from './verify-stream.js';
export { runChecks, STATIC_CHECKS } from './checks/index.js';
// The manifest reader is the release module's; re-exported for users of doctor's API.
export { loadManifest, sidecarManifestPath } from '../release/index.js';
export { diff, diffReleases, loadRelease, summaryFromManifest, glibcRose, type DiffReport, type AbiDiff, type ReleaseSummary } from './diff.js';
export { renderDiffHuman } from './diff-render.js';
export { renderHuman, renderJson, renderJunit, writeJunit, emitGithub, renderAnnotations, renderStepSummary } from './report/index.js';
export { runCli, DOCTOR, type CliIo } from './cli.js';
export { emitReport, withReportOptions, reportArgs, type ReportArgs } from './commands/report-output.js';
export type { CheckId, CheckResult, StaticCheckId, BootCheckId, TarballReport, VerifyReport } from './report-types.js';
export { DEFAULT_LIMITS, type Limits, type VerifyOptions, type TarballFacts, type CheckContext } from './verify-types.js';
