import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import createDebug from 'debug';
import { predictLoad, type LoadPrediction } from '../../abi-gate/index.js';
import type { CheckResult } from '../report-types.js';
import { bootCheck, nativeLoadCheck, predictionCheck, type NativeVerdict } from './checks.js';
import { BootContainer, newRunId } from './container.js';
import type { DockerClient } from './docker-client.js';
import { connectClient } from './engine.js';
import { runHostCheck, SKIP_LAUNCHER_CHECK_ENV, withHostCheck, type HostCheckVerdict } from './host-check.js';
import { ensureImage } from './image.js';
import { installTarball, pickServerBin } from './install.js';
import { RUNTIME_SCRIPT, parseRuntimeProbe } from './inspect-script.js';
import { loadNatives, loadTargets } from './native.js';
import { readRuntime, type RuntimeFacts } from './runtime.js';
import { scanInstall, type InstallScan } from './scan.js';
import { DEFAULT_SERVER_ARGS, prepareProbe, startServer, type Probe, type ServerStart } from './server.js';
import { PipeFeed } from './pipe-feed.js';
import { TarFeed } from './tar-feed.js';
import { PhaseClock, type BootTimings } from './timings.js';

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
  /** A connected engine (tests, verify --boot); else one is reached through DOCKER_HOST. */
  client?: DockerClient;
  runId?: string;
  labels?: Record<string, string>;
  /**
   * The static scan when the caller has it or will have it (verify's one pass). Without it the
   * boot reads the tarball once for both its scan and the container.
   */
  scan?: InstallScan | Promise<InstallScan>;
  /**
   * With `scan`: the plain tar stream for the container's tar (verify's read inflates it), asked
   * for when the tar starts reading; else the file is read and inflated for it.
   */
  source?: () => Readable;
  /** Aborting removes the container and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** verify --boot's clock, so its phases and the boot's share one origin. */
  clock?: PhaseClock;
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

/** Where the boot's scan and the container's tar stream come from. */
interface Feed {
  scan: Promise<InstallScan>;
  source(): Readable;
  /** The boot is over: a read still feeding the container finishes on its own. */
  release(): void;
}

function openFeed(tarball: string, options: BootOptions): Feed {
  if (options.scan !== undefined) {
    return { scan: Promise.resolve(options.scan), source: options.source ?? (() => inflatedFile(tarball)), release: () => undefined };
  }
  // One read for both: the host scans while the container's tar extracts the same bytes.
  const feed = new TarFeed();
  return { scan: scanInstall(tarball, feed), source: () => feed.forContainer(), release: () => feed.abandon() };
}

/** The plain tar stream of a file; a read or inflate error ends it, and the container's tar says so. */
function inflatedFile(tarball: string): Readable {
  const gunzip = createGunzip();
  createReadStream(tarball)
    .on('error', (error) => gunzip.destroy(error))
    .pipe(gunzip);
  return gunzip;
}

const ignore = (): void => undefined;

/**
 * Boots one tarball in a fresh container: installs it as the IDE's resolver does, starts the
 * server and asks it for /version, has the container's loader judge every ELF file, and compares
 * that with abi-gate's prediction for the container's runtime. The container is removed whatever
 * happens. Throws ToolError for a missing engine or image (exit 2); failures of the tarball are
 * check results.
 */
export async function bootTarball(tarball: string, options: BootOptions = {}): Promise<BootResult> {
  options.signal?.throwIfAborted();
  const clock = options.clock ?? new PhaseClock();
  const began = clock.now();
  let piping: Promise<PipeFeed | null> | null = null;
  try {
    const client = options.client ?? (await connectClient());
    // Made while the image is made ready: the install's named pipe, where the engine shares
    // this machine's files (pipe-feed.ts).
    piping = client.sharesFiles().then((shares) => (shares ? PipeFeed.make() : null));
    piping.catch(ignore);
    const image = await clock.time('image', () =>
      ensureImage(client, {
        ...(options.image === undefined ? {} : { image: options.image }),
        ...(options.dockerfileDir === undefined ? {} : { dockerfileDir: options.dockerfileDir }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      }),
    );
    const prepareMs = clock.now() - began;
    const feed = openFeed(tarball, options);
    // Awaited later; a rejection in between (the container removed on abort) is not unhandled.
    feed.scan.catch(ignore);
    const runId = options.runId ?? newRunId();
    const pipe = await piping;
    const run = await inContainer(client, image, runId, tarball, feed, pipe, options, clock).finally(() => feed.release());
    const predictions = predictLoad(run.targets, run.scan.files, run.scan.tree, run.runtime);
    await run.removed;
    options.signal?.throwIfAborted();
    const checks = [
      bootCheck(run.server, run.probe, run.commit, run.bin),
      nativeLoadCheck(run.native, run.runtime, run.skipped),
      withHostCheck(predictionCheck(predictions, run.native, run.runtime), run.hostCheck, run.native),
    ];
    const totalMs = clock.now() - began;
    const serverStartMs = run.server.startMs;
    return {
      tarball,
      image,
      runId,
      checks,
      runtime: run.runtime,
      native: run.native,
      predictions,
      server: run.server,
      probe: run.probe,
      hostCheck: run.hostCheck,
      timings: { totalMs, prepareMs, serverStartMs, overheadMs: totalMs - prepareMs - serverStartMs, phases: clock.phases },
    };
  } catch (error) {
    // Whatever failed after an abort failed because of it (its container is gone).
    options.signal?.throwIfAborted();
    throw error;
  } finally {
    // The pipe and its folder go whatever happened.
    await (await piping?.catch(() => null))?.close();
  }
}

/** What happened in the container; `removed` settles once the container is gone. */
interface ContainerRun {
  scan: InstallScan;
  targets: InstallScan['files'];
  skipped: InstallScan['files'];
  runtime: RuntimeFacts;
  native: NativeVerdict[];
  server: ServerStart;
  probe: Probe | null;
  hostCheck: HostCheckVerdict;
  commit: string | null;
  bin: string;
  removed: Promise<void>;
}

async function inContainer(
  client: DockerClient,
  image: string,
  runId: string,
  tarball: string,
  feed: Feed,
  pipe: PipeFeed | null,
  options: BootOptions,
  clock: PhaseClock,
): Promise<ContainerRun> {
  const box = await clock.time('container', () =>
    BootContainer.create(client, {
      image,
      runId,
      ...(pipe === null ? {} : { binds: [pipe.bind] }),
      ...(options.labels === undefined ? {} : { labels: options.labels }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    }),
  );
  const teardown = (): Promise<void> => clock.time('teardown', () => box[Symbol.asyncDispose]());
  try {
    const run = await serve(box, tarball, feed, pipe, options, clock);
    // Nothing more runs in the container: it goes while the caller computes the prediction.
    const removed = teardown();
    removed.catch(ignore);
    return { ...run, removed };
  } catch (error) {
    await teardown().catch(ignore);
    throw error;
  }
}

/**
 * Install, server, probe and loads. Until the install is extracted the container's tar is what a
 * boot waits for; the runtime probe runs beside it. Then the server starts while the loader
 * judges every ELF file, and the probe's node starts with the server.
 */
async function serve(box: BootContainer, tarball: string, feed: Feed, pipe: PipeFeed | null, options: BootOptions, clock: PhaseClock): Promise<Omit<ContainerRun, 'removed'>> {
  const learning = clock.time('runtime', () => learnRuntime(box, feed.scan));
  learning.catch(ignore);
  const installed = await clock.time('install', () => installTarball(box, tarball, feed.source(), options.commit, pipe));
  const bin = pickServerBin(installed, tarball);
  debug('installed %s in %s, launcher %s', tarball, installed.dir, bin);
  // The IDE runs the host check before it starts the server; so does the boot (the launcher is
  // told to skip its own call), and `prediction` holds its verdict to what loads.
  const hostChecking = clock.time('host-check', () => runHostCheck(box, installed.dir));
  hostChecking.catch(ignore);
  const starting = clock.time('server', () =>
    startServer(box, {
      dir: installed.dir,
      bin,
      args: options.serverArgs ?? DEFAULT_SERVER_ARGS,
      env: [...(options.serverEnv ?? []), SKIP_LAUNCHER_CHECK_ENV],
      timeoutMs: options.startTimeoutMs ?? 60_000,
    }),
  );
  starting.catch(ignore);
  const probing = prepareProbe(box, installed.dir);
  const scan = await feed.scan;
  const { targets, skipped } = loadTargets(scan.files);
  const loading = clock.time('native', () => loadNatives(box, installed.dir, targets));
  loading.catch(ignore);
  const server = await starting;
  const started = server.start;
  let probe: Probe | null = null;
  if (started.ok) probe = await clock.time('probe', () => probing.ask(started.port, server.pid));
  else probing.cancel();
  // A probe that answered has sent the server its SIGTERM.
  const stopping = clock.time('stop', () => server.stop({ signalled: probe?.ok === true }));
  const [native, runtime, hostCheck] = await Promise.all([loading, learning, hostChecking]);
  await stopping;
  return { scan, targets, skipped, runtime, native, server: server.start, probe, hostCheck, commit: installed.commit, bin };
}

/**
 * The runtime the prediction is made for. Needs a running container but not the install, and
 * the host's scan only to know which libraries to read: it runs beside the install.
 */
async function learnRuntime(box: BootContainer, scanning: Promise<InstallScan>): Promise<RuntimeFacts> {
  const probed = parseRuntimeProbe((await box.exec(['sh', '-c', RUNTIME_SCRIPT])).stdout);
  const { targets } = loadTargets((await scanning).files);
  const machine = targets.find((f) => f.path === 'node')?.machine ?? targets[0]?.machine ?? 'x86_64';
  return readRuntime((paths) => box.readFiles(paths), probed, machine, new Set(targets.flatMap((f) => f.needed)));
}
