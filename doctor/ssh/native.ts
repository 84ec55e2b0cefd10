/**
 * native-load: the host loader's verdict on every ELF of the install, with doctor boot's own
 * inspection (its script, parser and addon judge) run over the connection instead of in a
 * container: `ld.so --list` for every file, the bundled node's `process.dlopen` for addons.
 */
import type { ScannedFile } from '../../abi-gate/index.js';
import { ADDON_LOADER_JS, INSPECT_SCRIPT, judgeAddons, loadTargets, parseInspect, type NativeVerdict } from '../boot/index.js';
import type { SshConnection } from './client.js';
import { shQuote } from './quote.js';

/** The addon loader re-run after an addon's initialiser killed node (`judgeAddons` asks for it). */
const RERUN_SCRIPT = String.raw`cd "$1" && shift && exec ./node -e "$RAI_ADDON_LOADER" "$@"`;

export interface NativeResult {
  native: NativeVerdict[];
  /** Files no loader of this platform can be asked about (another arch, musl, static). */
  skipped: ScannedFile[];
}

export async function loadOnHost(connection: SshConnection, dir: string, files: ScannedFile[], signal?: AbortSignal): Promise<NativeResult> {
  const { targets, skipped } = loadTargets(files);
  const nodeFile = files.find((f) => f.path === 'node');
  const elfPaths = targets.map((f) => f.path);
  const addonPaths = targets.filter((f) => f.path.endsWith('.node')).map((f) => f.path);
  // The inspection's scratch files go into this run's private folder, not a shared /tmp name.
  const env = `RAI_ADDON_LOADER=${shQuote(ADDON_LOADER_JS)}; RAI_INSPECT_DIR=${shQuote(`${connection.runDir}/inspect`)}; export RAI_ADDON_LOADER RAI_INSPECT_DIR\n`;
  const options = signal === undefined ? {} : { signal };
  const result = await connection.run(env + INSPECT_SCRIPT, [dir, nodeFile?.interpreter ?? '', ...elfPaths, '--addons', ...addonPaths], options);
  const inspected = parseInspect(result.stdout.toString('utf8'));
  const rerun = async (queue: string[]): Promise<string> =>
    (await connection.run(env + RERUN_SCRIPT, [dir, ...queue], options)).stdout.toString('utf8');
  return { native: await judgeAddons(inspected, addonPaths, rerun), skipped };
}
