import type Docker from 'dockerode';
import createDebug from 'debug';
import { predictLoad, type LoadPrediction } from '../../abi-gate/index.js';
import type { ScannedFile } from '../../abi-gate/index.js';
import type { CheckResult } from '../report-types.js';
import { BootContainer, newRunId, parkIfInterrupted } from './container.js';
import { connectEngine } from './engine.js';
import { execIn } from './exec.js';
import { runHostCheck, SKIP_LAUNCHER_CHECK_ENV, withHostCheck, type HostCheckVerdict } from './host-check.js';
import { ensureImage } from './image.js';
import { copyTarball, installTarball, pickServerBin } from './install.js';
import {
  ADDON_LOADER_JS,
  INSPECT_SCRIPT,
  RUNTIME_SCRIPT,
  parseAddonLoads,
  parseInspect,
  parseRuntimeProbe,
  type AddonVerdict,
} from './inspect-script.js';
import { bootCheck, isLoaderError, nativeLoadCheck, predictionCheck, type NativeVerdict } from './checks.js';
import { copyOut, readRuntime, type RuntimeFacts } from './runtime.js';
import { scanInstall, type InstallScan } from './scan.js';
import { DEFAULT_SERVER_ARGS, prepareProbe, startServer, type Probe, type ServerStart } from './server.js';

const debug = createDebug('remote-ai:doctor:boot');

export interface BootOptions {
  /** Any image; default: the CentOS 7 image built from docker/centos7. */
  image?: string;
  dockerfileDir?: string;
  serverArgs?: string[];
  /** Extra `NAME=value` environment of the server. */
  serverEnv?: string[];
  startTimeoutMs?: number;
  /** Installs into bin/<commit> directly; else product.json's commit is used. */
  commit?: string;
  /** A connected client (tests, verify); else one is made from DOCKER_HOST. */
  docker?: Docker;
  runId?: string;
  labels?: Record<string, string>;
  /** The static scan when the caller already has it (verify's single pass). */
  scan?: InstallScan;
}

/** The steps of a boot, in the order they start; several overlap (see bootOnce). */
export type BootPhase =
  | 'image'
  | 'scan'
  | 'container'
  | 'runtime'
  | 'copy'
  | 'install'
  | 'inspect'
  | 'probe'
  | 'stop'
  | 'remove';

export interface BootTimings {
  totalMs: number;
  /** Building (or pulling) the image; near zero once it is cached. */
  prepareMs: number;
  /** From starting the launcher to its listening line: the server's own start-up. */
  serverStartMs: number;
  /** Everything else a boot costs: container, copy, extract, probes, loads, removal. */
  overheadMs: number;
  /** Milliseconds each phase took; they overlap, so they do not add up to totalMs. */
  phases: Partial<Record<BootPhase, number>>;
}

export interface BootResult {
  tarball: string;
  image: string;
  runId: string;
  checks: CheckResult[];
  runtime: RuntimeFacts | null;
  native: NativeVerdict[];
  predictions: LoadPrediction[];
  server: ServerStart | null;
  probe: Probe | null;
  /** What the release's check-requirements.sh said in the container, run before the server. */
  hostCheck: HostCheckVerdict;
  timings: BootTimings;
}

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
 * Boots one tarball in a fresh container: installs it as the IDE's resolver does, starts the
 * server and asks it for /version, has the container's loader judge every ELF file, and compares
 * that with abi-gate's prediction for the container's runtime. The container is removed whatever
 * happens. Throws ToolError for a missing engine or image (exit 2); failures of the tarball are
 * check results.
 */
export async function bootTarball(tarball: string, options: BootOptions = {}): Promise<BootResult> {
  try {
    return await bootOnce(tarball, options);
  } catch (error) {
    await parkIfInterrupted();
    throw error;
  }
}

const ignore = (): void => undefined;

async function bootOnce(tarball: string, options: BootOptions): Promise<BootResult> {
  const began = performance.now();
  const phases: BootTimings['phases'] = {};
  const timed = async <T>(phase: BootPhase, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      phases[phase] = performance.now() - start;
      debug('%s: %d ms', phase, Math.round(phases[phase] ?? 0));
    }
  };
  const docker = options.docker ?? (await connectEngine());
  const runId = options.runId ?? newRunId();
  const image = await timed('image', () =>
    ensureImage(docker, {
      ...(options.image === undefined ? {} : { image: options.image }),
      ...(options.dockerfileDir === undefined ? {} : { dockerfileDir: options.dockerfileDir }),
    }),
  );
  const imageReady = performance.now();
  // Until the install is extracted, the engine is what a boot waits for: the host reads the
  // tarball and the container is asked about its runtime while the tarball is copied in and
  // extracted; the probe's node starts with the server. Promises awaited later get a no-op catch
  // at once: a rejection in between (the container removed on SIGINT) must not count as unhandled.
  const scanning = options.scan === undefined ? timed('scan', () => scanInstall(tarball)) : Promise.resolve(options.scan);
  scanning.catch(ignore);

  await using box = await timed('container', () =>
    BootContainer.create(docker, { image, runId, ...(options.labels === undefined ? {} : { labels: options.labels }) }),
  );
  // The engine handles an archive and a start of one container one after the other: start first,
  // so the runtime probe can run during the copy.
  const learning = timed('runtime', () => learnRuntime(box, scanning));
  learning.catch(ignore);
  await timed('copy', () => copyTarball(box, tarball));
  const installed = await timed('install', () => installTarball(box, tarball, options.commit));
  const bin = pickServerBin(installed, tarball);
  debug('installed %s in %s, launcher %s', tarball, installed.dir, bin);
  // The IDE runs the host check before it starts the server; so does the boot (the launcher is
  // told to skip its own call), and `prediction` holds its verdict to what loads.
  const hostChecking = runHostCheck(box, installed.dir);
  hostChecking.catch(ignore);
  const starting = startServer(box, {
    dir: installed.dir,
    bin,
    args: options.serverArgs ?? DEFAULT_SERVER_ARGS,
    env: [...(options.serverEnv ?? []), SKIP_LAUNCHER_CHECK_ENV],
    timeoutMs: options.startTimeoutMs ?? 60_000,
  });
  starting.catch(ignore);
  const probing = prepareProbe(box, installed.dir);

  const scan = await scanning;
  const { targets, skipped } = loadTargets(scan.files);
  const nodeFile = scan.files.find((f) => f.path === 'node');
  // Addons get the loader's --list verdict too: it stands when the bundled node cannot start.
  const elfPaths = targets.map((f) => f.path);
  const addonPaths = targets.filter((f) => f.path.endsWith('.node')).map((f) => f.path);
  const inspecting = timed('inspect', () =>
    execIn(
      box.container,
      ['sh', '-c', INSPECT_SCRIPT, 'sh', installed.dir, nodeFile?.interpreter ?? '', ...elfPaths, '--addons', ...addonPaths],
      { env: [`RAI_ADDON_LOADER=${ADDON_LOADER_JS}`] },
    ),
  );
  inspecting.catch(ignore);
  const server = await starting;
  const started = server.start;
  let probe: Probe | null = null;
  if (started.ok) probe = await timed('probe', () => probing.ask(started.port, server.pid));
  else probing.cancel();
  // A probe that answered has sent the server its SIGTERM.
  const stopping = timed('stop', () => server.stop({ signalled: probe?.ok === true }));

  const inspected = parseInspect((await inspecting).stdout);
  const rerun = async (queue: string[]): Promise<string> =>
    (await execIn(box.container, [`${installed.dir}/node`, '-e', ADDON_LOADER_JS, ...queue], { workingDir: installed.dir })).stdout;
  const [native, runtime, hostCheck] = await Promise.all([judgeAddons(inspected, addonPaths, rerun), learning, hostChecking]);
  await stopping;
  // Nothing more runs in the container: it goes while the prediction is computed here.
  const removing = timed('remove', () => box[Symbol.asyncDispose]());
  removing.catch(ignore);
  const predictions = predictLoad(targets, scan.files, scan.tree, runtime);
  await removing;

  const checks = [
    bootCheck(server.start, probe, installed.commit, bin),
    nativeLoadCheck(native, runtime, skipped),
    withHostCheck(predictionCheck(predictions, native, runtime), hostCheck, native),
  ];
  const totalMs = performance.now() - began;
  const prepareMs = imageReady - began;
  const serverStartMs = server.start.startMs;
  return {
    tarball,
    image,
    runId,
    checks,
    runtime,
    native,
    predictions,
    server: server.start,
    probe,
    hostCheck,
    timings: { totalMs, prepareMs, serverStartMs, overheadMs: totalMs - prepareMs - serverStartMs, phases },
  };
}

/**
 * The runtime the prediction is made for. Needs a running container but not the install, and
 * the host's scan only to know which libraries to read: it runs beside the copy and the extract.
 */
async function learnRuntime(box: BootContainer, scanning: Promise<InstallScan>): Promise<RuntimeFacts> {
  const probed = parseRuntimeProbe((await execIn(box.container, ['sh', '-c', RUNTIME_SCRIPT])).stdout);
  const { targets } = loadTargets((await scanning).files);
  const machine = targets.find((f) => f.path === 'node')?.machine ?? targets[0]?.machine ?? 'x86_64';
  return readRuntime((path) => copyOut(box, path), probed, machine, new Set(targets.flatMap((f) => f.needed)));
}

/**
 * One verdict per file. Addons take the bundled node's dlopen verdict; when node itself cannot
 * start (an official node >= 18 on glibc 2.17) they keep the loader's `--list` verdict. An addon
 * whose initialiser kills node is recorded as such and the rest are loaded in a new node, through
 * `rerun` (ADDON_LOADER_JS over those paths in the install folder; returns its stdout).
 */
export async function judgeAddons(
  inspected: ReturnType<typeof parseInspect>,
  addons: string[],
  rerun: (queue: string[]) => Promise<string>,
): Promise<NativeVerdict[]> {
  const listed = new Map<string, NativeVerdict>(
    inspected.elf.map((e) => [e.path, { path: e.path, via: 'ld.so --list', ok: e.ok, loaderOk: e.ok, messages: e.messages }]),
  );
  if (addons.length === 0) return [...listed.values()];
  let parsed = parseAddonLoads(inspected.addonLines);
  if (parsed.verdicts.length === 0 && parsed.crashedAt === null && inspected.nodeExit !== 0) {
    const why = inspected.nodeStderr.join(' ').trim() || `exit ${inspected.nodeExit}`;
    for (const path of addons) listed.get(path)?.messages.push(`dlopen not tried: the bundled node cannot start: ${why}`);
    return [...listed.values()];
  }
  const all: AddonVerdict[] = [];
  let queue = addons;
  for (;;) {
    all.push(...parsed.verdicts);
    const crashed = parsed.crashedAt;
    if (crashed === null) break;
    all.push({ path: crashed, ok: false, message: 'the bundled node died while loading it' });
    const done = new Set(all.map((v) => v.path));
    queue = queue.filter((p) => !done.has(p));
    if (queue.length === 0) break;
    parsed = parseAddonLoads(await rerun(queue));
  }
  for (const v of all) {
    const message = v.message ?? '';
    const loaderOk = v.ok || (isLoaderError(message) ? false : (listed.get(v.path)?.loaderOk ?? false));
    listed.set(v.path, { path: v.path, via: 'dlopen', ok: v.ok, loaderOk, messages: v.message === null ? [] : [v.message] });
  }
  return [...listed.values()];
}
