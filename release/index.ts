/** The release module's public API: what packager and doctor may import from release/. */

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
