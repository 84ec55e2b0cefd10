/**
 * The container's verdict on every ELF file of the install, in as few processes as the question
 * allows: one exec whose shell runs the bundled node once over every `.node` (each dlopen'd and
 * reported in turn) while the loader lists the other ELF files (`ld.so --list`, one process per
 * file: the loader takes one program), all beside the server's start. A second exec only when
 * something went wrong: an addon's initialiser killed node, or node itself cannot start.
 */
import type { ScannedFile } from '../../abi-gate/index.js';
import type { NativeVerdict } from './checks.js';
import type { BootContainer } from './container.js';
import { ADDON_LOADER_JS, INSPECT_SCRIPT, parseAddonLoads, parseInspect, type AddonVerdict, type InspectOutput } from './inspect-script.js';

/** Files a loader of this platform can be asked about: the node binary's arch, not musl, dynamic. */
export function loadTargets(files: ScannedFile[]): { targets: ScannedFile[]; skipped: ScannedFile[] } {
  const machine = files.find((f) => f.path === 'node')?.machine ?? 'x86_64';
  const targets: ScannedFile[] = [];
  const skipped: ScannedFile[] = [];
  for (const file of files) {
    const loadable =
      file.machine === machine && file.libc !== 'musl' && file.libc !== 'static' &&
      (file.elfType === 'shared' || file.elfType === 'executable');
    (loadable ? targets : skipped).push(file);
  }
  return { targets, skipped };
}

/**
 * Node's own refusals of a library the loader mapped fine (src/node_binding.cc): the loader's
 * part of the verdict passed. Any other dlopen failure is dlerror()'s text, the loader's.
 */
const NODE_REFUSAL = /did not self-register|was compiled against a different Node\.js version|has no declared entry point/;

/**
 * Runs INSPECT_SCRIPT (`sh -c INSPECT_SCRIPT sh <dir> <ldso> <elf...> --addons <addons...>`, with
 * RAI_ADDON_LOADER=ADDON_LOADER_JS) where the install is, and parses its output: in a container
 * through exec, on a host over SSH (doctor ssh).
 */
export type Inspect = (ldso: string, elf: string[], addons: string[]) => Promise<InspectOutput>;

function inContainer(box: BootContainer, dir: string): Inspect {
  return (ldso, elf, addons) =>
    box
      .exec(['sh', '-c', INSPECT_SCRIPT, 'sh', dir, ldso, ...elf, '--addons', ...addons], { env: [`RAI_ADDON_LOADER=${ADDON_LOADER_JS}`] })
      .then((result) => parseInspect(result.stdout));
}

const listedVerdict = (e: InspectOutput['elf'][number]): NativeVerdict => ({ path: e.path, via: 'ld.so --list', ok: e.ok, loaderOk: e.ok, messages: e.messages });

/**
 * One verdict per file. Addons take the bundled node's dlopen verdict; when node itself cannot
 * start (an official node >= 18 on glibc 2.17) they take the loader's `--list` verdict. An addon
 * whose initialiser kills node is recorded as such (the loader's verdict on it from `--list`) and
 * the rest are loaded in a new node.
 */
export function loadNatives(box: BootContainer, dir: string, targets: ScannedFile[]): Promise<NativeVerdict[]> {
  return judgeNatives(inContainer(box, dir), targets);
}

/** loadNatives' judgement wherever `inspect` runs the script. */
export async function judgeNatives(run: Inspect, targets: ScannedFile[]): Promise<NativeVerdict[]> {
  const ldso = targets.find((f) => f.path === 'node')?.interpreter ?? '';
  const inspect = (elf: string[], addons: string[]): Promise<InspectOutput> => run(ldso, elf, addons);
  const addons = targets.filter((f) => f.path.endsWith('.node')).map((f) => f.path);
  const others = targets.filter((f) => !f.path.endsWith('.node')).map((f) => f.path);
  const first = await inspect(others, addons);
  const verdicts = new Map<string, NativeVerdict>(first.elf.map((e) => [e.path, listedVerdict(e)]));
  if (addons.length === 0) return order(verdicts, targets);

  let parsed = parseAddonLoads(first.addonLines);
  if (parsed.verdicts.length === 0 && parsed.crashedAt === null && first.nodeExit !== 0) {
    const why = first.nodeStderr.join(' ').trim() || `exit ${first.nodeExit}`;
    const listed = await inspect(addons, []);
    for (const e of listed.elf) {
      verdicts.set(e.path, { ...listedVerdict(e), messages: [...e.messages, `dlopen not tried: the bundled node cannot start: ${why}`] });
    }
    return order(verdicts, targets);
  }
  const loaded: AddonVerdict[] = [];
  const crashed = new Map<string, boolean>();
  let queue = addons;
  for (;;) {
    loaded.push(...parsed.verdicts);
    const at = parsed.crashedAt;
    if (at === null) break;
    const done = new Set([...loaded.map((v) => v.path), at]);
    queue = queue.filter((p) => !done.has(p));
    // The loader's own view of the addon that killed node, while a new node loads the rest.
    const again = await inspect([at], queue);
    crashed.set(at, again.elf[0]?.ok ?? false);
    parsed = queue.length === 0 ? { verdicts: [], crashedAt: null } : parseAddonLoads(again.addonLines);
  }
  for (const v of loaded) {
    const message = v.message ?? '';
    verdicts.set(v.path, { path: v.path, via: 'dlopen', ok: v.ok, loaderOk: v.ok || NODE_REFUSAL.test(message), messages: v.message === null ? [] : [v.message] });
  }
  for (const [path, loaderOk] of crashed) {
    verdicts.set(path, { path, via: 'dlopen', ok: false, loaderOk, messages: ['the bundled node died while loading it'] });
  }
  return order(verdicts, targets);
}

/** In the scan's order, as the verdicts of one listing used to read. */
function order(verdicts: Map<string, NativeVerdict>, targets: ScannedFile[]): NativeVerdict[] {
  return targets.flatMap((f) => verdicts.get(f.path) ?? []);
}
