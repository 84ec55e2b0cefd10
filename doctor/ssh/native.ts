/**
 * native-load: the host loader's verdict on every ELF of the install, with doctor boot's own
 * inspection (its script, parser and addon judge) run over the connection instead of in a
 * container: `ld.so --list` for every file, the bundled node's `process.dlopen` for addons.
 */
import type { ScannedFile } from '../../abi-gate/index.js';
import { ADDON_LOADER_JS, INSPECT_SCRIPT, judgeNatives, loadTargets, parseInspect, type Inspect, type NativeVerdict } from '../boot/index.js';
import type { SshConnection } from './client.js';
import { shQuote } from './quote.js';

export interface NativeResult {
  native: NativeVerdict[];
  /** Files no loader of this platform can be asked about (another arch, musl, static). */
  skipped: ScannedFile[];
}

export async function loadOnHost(connection: SshConnection, dir: string, files: ScannedFile[], signal?: AbortSignal): Promise<NativeResult> {
  const { targets, skipped } = loadTargets(files);
  // The inspection's scratch files go into this run's private folder, not a shared /tmp name.
  const env = `RAI_ADDON_LOADER=${shQuote(ADDON_LOADER_JS)}; RAI_INSPECT_DIR=${shQuote(`${connection.runDir}/inspect`)}; export RAI_ADDON_LOADER RAI_INSPECT_DIR\n`;
  const options = signal === undefined ? {} : { signal };
  const inspect: Inspect = async (ldso, elf, addons) =>
    parseInspect((await connection.run(env + INSPECT_SCRIPT, [dir, ldso, ...elf, '--addons', ...addons], options)).stdout.toString('utf8'));
  return { native: await judgeNatives(inspect, targets), skipped };
}
