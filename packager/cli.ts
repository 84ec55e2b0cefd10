/**
 * The packager CLI: its one command, `build`, declared for the shared CLI shell (abi-gate's
 * `runTool`), which parses, prints errors and decides the exit code with it
 * (0 built, 1 a check over the release failed, 2 usage or unreadable input).
 */
import { cxxfilt, defineCommand, demangleText, isToolError, mangledTokens, runBin, runTool, ToolError, type CliIo, type ToolSpec } from '../abi-gate/index.js';
import { renderHuman, renderJson } from './report-human.js';
import { build, type BuildResult } from './build.js';
import type { BuildProgress } from './options.js';

export type { CliIo } from '../abi-gate/index.js';
export { renderHuman, renderJson } from './report-human.js';

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A one-line bar redrawn in place, at most ten times a second. */
function progressBar(io: CliIo): { update(progress: BuildProgress): void; done(): void } {
  let last = 0;
  let drawn = false;
  return {
    update(progress) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const [label, done, total] =
        progress.phase === 'download' ? ['download node', progress.received, progress.total] : ['pack', progress.packed, progress.total];
      const fraction = total !== null && total > 0 ? Math.min(1, done / total) : null;
      const bar = fraction === null ? '' : `[${'#'.repeat(Math.round(fraction * 30)).padEnd(30, '.')}] ${Math.round(fraction * 100)}% `;
      io.stderr(`\r${label} ${bar}${megabytes(done)}${total === null ? '' : ` / ${megabytes(total)}`}\u001b[K`);
      drawn = true;
    },
    done() {
      if (drawn) io.stderr('\r\u001b[K');
    },
  };
}

/** A refused build's details name C++ culprits: demangled (one c++filt call) before the shell prints them. */
function readableCheckError(error: unknown, env: NodeJS.ProcessEnv): unknown {
  if (!isToolError(error) || error.details.length === 0) return error;
  const names = cxxfilt(env).demangle(mangledTokens(error.details));
  if (names.size === 0) return error;
  const details = error.details.map((line) => demangleText(line, names));
  return new ToolError(error.code, error.message, { details, hint: error.hint, exitCode: error.exitCode });
}

const buildCommand = defineCommand({
  command: 'build',
  describe: 'build <name>-<commit>-linux-<arch>.tar.gz, its manifest and SHA256SUMS',
  builder: (y) =>
    y
      .option('server', { type: 'string', demandOption: true, describe: 'the built Code-OSS server: a folder or .tar.gz' })
      .option('commit', { type: 'string', demandOption: true, describe: 'the 40-hex commit the server was built from' })
      .option('arch', { choices: ['x64', 'arm64'] as const, default: 'x64' as const, describe: 'target architecture' })
      .option('out', { type: 'string', default: 'dist', describe: 'output folder' })
      .option('name', { type: 'string', default: 'remote-ai-server', describe: 'release name (tarball prefix and bin/<name>)' })
      .option('node', { type: 'string', describe: "node binary, node-v<V>-linux-<arch>.tar.gz, or a version to download (default: the server's own node)" })
      .option('node-mirror', { type: 'string', describe: 'mirror for --node <version> (default: the official dist, or unofficial builds for glibc-217)' })
      .option('node-flavor', { choices: ['official', 'glibc-217'] as const, default: 'official' as const, describe: 'which node build to download' })
      .option('native', { type: 'string', array: true, default: [] as string[], describe: 'native module overlay (folder or .tar.gz laid out like the server), repeatable' })
      .option('allow-new', { type: 'boolean', default: false, describe: 'let --native add files the server does not have' })
      .option('prune-foreign', { type: 'boolean', default: false, describe: 'drop Mach-O, PE, other-arch and musl binaries instead of failing' })
      .option('policy', { type: 'string', default: 'centos7', describe: 'abi-gate policy name or JSON file; none turns the gate off' })
      .option('cache-dir', { type: 'string', describe: 'download cache (default $REMOTE_AI_CACHE, else $XDG_CACHE_HOME or ~/.cache, /remote-ai-server)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the build result as JSON (a contract CI reads)' }),
  examples: [
    ['$0 build --server out/vscode-reh-linux-x64 --commit $SHA --node 16.20.2', 'pack a server build with node 16 for CentOS 7 hosts'],
  ],
  run: async (args, { io, signal }) => {
    for (const flag of ['server', 'commit', 'out', 'name', 'node', 'node-mirror', 'policy', 'cache-dir'] as const) {
      if (Array.isArray(args[flag])) throw new ToolError('USAGE', `--${flag} given more than once`, { hint: 'pass it once', exitCode: 2 });
    }
    const bar = io.stderrIsTTY === true && !args.json ? progressBar(io) : null;
    let result: BuildResult;
    try {
      result = await build({
        server: args.server,
        commit: args.commit,
        arch: args.arch,
        out: args.out,
        name: args.name,
        node: args.node,
        nodeMirror: args['node-mirror'],
        nodeFlavor: args['node-flavor'],
        native: args.native,
        allowNew: args['allow-new'],
        pruneForeign: args['prune-foreign'],
        policy: args.policy,
        cacheDir: args['cache-dir'],
        env: io.env,
        onProgress: (progress) => bar?.update(progress),
        signal,
      });
    } catch (error) {
      throw readableCheckError(error, io.env);
    } finally {
      bar?.done();
    }
    io.stdout(args.json ? renderJson(result, io.env) : renderHuman(result, io.env));
    return 0;
  },
});

export const PACKAGER: ToolSpec = {
  name: 'packager',
  summary: 'Builds reproducible remote-ai-server release tarballs.',
  commands: [buildCommand],
};

/** Runs the CLI and returns its exit code (tests call this; the bin runs `main`). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  return runTool(PACKAGER, argv, io);
}

export async function main(): Promise<void> {
  await runBin(PACKAGER);
}
