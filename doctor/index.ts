/** doctor's public API: verify, diff and the report writers. */
export { verify, verifyTarball, resolveVerifyOptions, exitCodeOf, mapLimited, type ResolvedVerifyOptions } from './verify.js';
export { readTarballFacts, UnreadableTarball } from './verify-stream.js';
export { runChecks, STATIC_CHECKS } from './checks/index.js';
export { loadManifest, sidecarManifestPath } from './manifest-load.js';
export { diff, diffReleases, loadRelease, summaryFromManifest, glibcRose, type DiffReport, type AbiDiff, type ReleaseSummary } from './diff.js';
export { renderDiffHuman } from './diff-render.js';
export { renderHuman, renderJson, renderJunit, writeJunit, emitGithub, renderAnnotations, renderStepSummary } from './report/index.js';
export { runCli, DOCTOR, type CliIo } from './cli.js';
export { emitReport, withReportOptions, reportArgs, type ReportArgs } from './commands/report-output.js';
export type { CheckId, CheckResult, StaticCheckId, BootCheckId, TarballReport, VerifyReport } from './report-types.js';
export { DEFAULT_LIMITS, type Limits, type VerifyOptions, type TarballFacts, type CheckContext } from './verify-types.js';
