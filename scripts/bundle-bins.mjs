// Bundles each CLI (abi-gate, doctor, packager) from the compiled dist/ into CommonJS files beside
// its code, with a V8 code cache, so that a run starts close to `node -e 0` (issue 12):
//
//   dist/<tool>/<tool>.cjs        the bin package.json names: loads the code below with its cache
//   dist/<tool>/<tool>-cli.cjs    the CLI module (cli.ts) as the bundle exports it
//   dist/<tool>/<tool>-code.cjs   everything a usual run needs, in one file: the CLI shell, yargs,
//                                 and the modules named in `hot` with all they import
//   dist/<tool>/<tool>-code.cjs.v8-<version>-<arch>.cache   its V8 code cache
//   dist/<tool>/bundle-*.cjs      what only some runs load, through import() (tar, policies, Docker)
//
// Measured on Node 20 (`abi-gate scan x.node`): Node's ESM loader spent ~15 ms resolving and
// linking ~10 chunks and ~7 ms compiling them; CommonJS in one file with a code cache does neither.
// The cache is made here after representative runs of the CLI in this process, so the functions
// those runs compiled lazily are in it too. A Node whose V8 differs finds no cache under its
// version and compiles the file as usual (abi-gate/bundle/code-cache.ts).
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const { cacheFileFor, compileModule } = await import(pathToFileURL(join(dist, 'abi-gate', 'bundle', 'code-cache.js')).href);

/** doctor's and packager's cli.ts: `main` runs the bin, `runCli` takes an argv and an io. */
const COMMANDS = { hot: ['cli.js'], run: 'main', call: 'runCli' };

/**
 * Per tool: `hot`, the compiled modules (beside cli.js) whose static imports make the start-up
 * file; `run`, the export of cli.js the bin calls; `call`, the export that runs an argv with an io
 * and returns the exit code; `warm`, the runs (from the repository root) the code cache is made
 * after.
 */
const TOOLS = [
  {
    name: 'abi-gate',
    // The scan of files and folders with its human and --json output; tar reading and policies
    // (ajv) load only for the commands and inputs that need them.
    hot: ['cli.js', 'scan.js', 'report-human.js', 'demangle.js'],
    run: 'run',
    call: 'main',
    warm: [
      { argv: ['scan', 'fixtures/elf/symver-glibc-2.28.so'], code: 0 },
      { argv: ['scan', '--json', 'fixtures/elf/cxx-glibcxx-3.4.21.so'], code: 0 },
      { argv: ['scan', 'fixtures/elf/no/such/file.so'], code: 2 },
    ],
  },
  // Every command as cli.ts imports it: doctor verify's and packager build's code is in; Docker
  // (boot, gc), the ssh chain and downloads are imported lazily by their commands and stay out.
  {
    name: 'doctor',
    ...COMMANDS,
    warm: [{ argv: ['--version'], code: 0 }, { argv: ['verify', '--help'], code: 0 }, { argv: ['verify', 'no/such.tar.gz', '--policy', 'none'], code: 2 }],
  },
  { name: 'packager', ...COMMANDS, warm: [{ argv: ['--version'], code: 0 }, { argv: ['build', '--help'], code: 0 }] },
];

/**
 * Code in dist/ that finds files beside itself (policies/, manifest.schema.json, package.json)
 * asks `import.meta.url`; bundled elsewhere, it still gets the URL of its own compiled module.
 */
function ownModuleUrls(out) {
  return {
    name: 'own-module-urls',
    transform(code, id) {
      if (!id.startsWith(dist) || !code.includes('import.meta.url')) return null;
      const own = JSON.stringify(relative(out, id).split('\\').join('/'));
      return { code: code.replaceAll('import.meta.url', `new URL(${own}, import.meta.url).href`), map: null };
    },
  };
}

/** Every bundled `import 'debug'` gets this wrapper, which loads debug itself only under DEBUG. */
const LAZY_DEBUG = join(root, 'abi-gate', 'bundle', 'debug-lazy.mjs');

/**
 * yargs and cliui read `process.stdout.columns` for a width: yargs' platform shim when it loads,
 * cliui whenever yargs builds help, which it does before every command it runs (to cache it).
 * Reading it builds process.stdout (a tty stream, or a net socket for a pipe, with node's stream
 * modules): ~2 ms of every start-up, for a width the CLI shell never needs unless it prints help.
 * yargs' read becomes a getter, asked when yargs wants it (`.wrap(null)` means never); cliui's is
 * skipped when fd 1 is no character device, since no terminal then has columns to give (the 80
 * it falls back to is what it answers there anyway). A yargs or cliui whose code no longer has
 * these lines fails the build rather than silently losing the patch.
 */
const NO_STDOUT_AT_START_UP = [
  {
    file: /[\\/]node_modules[\\/](.*[\\/])?yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/,
    from: "stdColumns: typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null",
    to: "get stdColumns() { return typeof process.stdout.columns !== 'undefined' ? process.stdout.columns : null; }",
  },
  {
    file: /[\\/]node_modules[\\/](.*[\\/])?cliui[\\/]build[\\/]lib[\\/]index\.js$/,
    from: "if (typeof process === 'object' && process.stdout && process.stdout.columns) {",
    to: "if (typeof process === 'object' && mayBeTerminal() && process.stdout && process.stdout.columns) {",
    append: [
      "import { fstatSync as fstatForColumns } from 'node:fs';",
      'function mayBeTerminal() {',
      '  try { return fstatForColumns(1).isCharacterDevice(); } catch { return true; }',
      '}',
    ].join('\n'),
  },
];
function noStdoutAtStartUp() {
  return {
    name: 'no-stdout-at-start-up',
    transform(code, id) {
      const patch = NO_STDOUT_AT_START_UP.find((p) => p.file.test(id));
      if (patch === undefined) return null;
      if (!code.includes(patch.from)) throw new Error(`${id}: no \`${patch.from}\` to patch: update scripts/bundle-bins.mjs for this version`);
      return { code: `${code.replace(patch.from, patch.to)}${patch.append === undefined ? '' : `\n${patch.append}\n`}`, map: null };
    },
  };
}

/** yargs is imported lazily by the CLI shell (libraries importing abi-gate need not load it), but every run parses. */
const EVERY_RUN = /[\\/]node_modules[\\/]yargs[\\/]/;

/** The modules reachable from `roots` through static imports, and yargs: one file, loaded at start-up. */
function staticClosure(roots, info) {
  const seen = new Set();
  const walk = (id) => {
    if (seen.has(id)) return;
    seen.add(id);
    const module = info(id);
    for (const next of module?.importedIds ?? []) walk(next);
    for (const next of module?.dynamicallyImportedIds ?? []) if (EVERY_RUN.test(next)) walk(next);
  };
  for (const id of roots) walk(id);
  return seen;
}

async function bundle(tool) {
  const out = join(dist, tool.name);
  const ours = new RegExp(`^(bundle-.*\\.cjs|${tool.name}(-cli|-code)?\\.cjs(\\..*\\.cache)?)$`);
  for (const name of readdirSync(out)) if (ours.test(name)) rmSync(join(out, name));
  const bin = '\0bin';
  const code = `${tool.name}-code.cjs`;
  const cli = join(out, 'cli.js');
  const roots = tool.hot.map((file) => join(out, file));
  let hot = null;
  await build({
    input: { [tool.name]: bin, [`${tool.name}-cli`]: cli },
    platform: 'node',
    // Smaller stand-ins for what yargs loads at start-up (each file says what it saves).
    resolve: {
      alias: {
        'string-width': join(root, 'abi-gate', 'bundle', 'string-width-ascii.mjs'),
        assert: join(root, 'abi-gate', 'bundle', 'assert-strict.mjs'),
      },
    },
    // yargs and debug are bundled (most of start-up); the others load, from node_modules, only
    // where a command needs them.
    external: [/^node:/, 'ajv', 'dockerode', 'node-fetch', 'tar', /^ssh2/],
    plugins: [
      ownModuleUrls(out),
      noStdoutAtStartUp(),
      {
        name: 'lazy-debug',
        resolveId: (id, importer) => (id === 'debug' && importer !== LAZY_DEBUG ? LAZY_DEBUG : null),
      },
      {
        name: 'hot-modules',
        buildEnd() {
          hot = staticClosure(roots, (id) => this.getModuleInfo(id));
        },
      },
      {
        name: 'bin',
        resolveId: (id) => (id === bin ? id : null),
        load: (id) =>
          id === bin
            ? [
                "import module from 'node:module';",
                "import { join } from 'node:path';",
                `import { preloadWithCodeCache } from ${JSON.stringify(join(dist, 'abi-gate', 'bundle', 'code-cache.js'))};`,
                '// Node >= 22.1 caches what require compiles (the lazy chunks, or all without our cache).',
                'module.enableCompileCache?.();',
                `preloadWithCodeCache(join(__dirname, ${JSON.stringify(code)}));`,
                `module.createRequire(__filename)(${JSON.stringify(`./${tool.name}-cli.cjs`)}).${tool.run}();`,
              ].join('\n')
            : null,
      },
    ],
    logLevel: 'warn',
    onLog(level, log, handler) {
      // cli.ts imports lazily what the bundle keeps in one file on purpose (the `hot` list).
      if (log.code === 'INEFFECTIVE_DYNAMIC_IMPORT') return;
      // yargs' `extends` option (import.meta.resolve) is not used by the CLIs.
      if (log.code === 'EMPTY_IMPORT_META' && EVERY_RUN.test(log.id ?? '')) return;
      handler(level, log);
    },
    output: {
      dir: out,
      format: 'cjs',
      // Smaller to read and to deserialize (~1.5 ms of abi-gate's start-up); names kept for stacks and .name.
      minify: true,
      keepNames: true,
      entryFileNames: '[name].cjs',
      chunkFileNames: (chunk) => (chunk.name === 'code' ? code : 'bundle-[name]-[hash].cjs'),
      banner: (chunk) => (chunk.name === tool.name ? '#!/usr/bin/env node' : ''),
      codeSplitting: {
        groups: [
          {
            name: 'code',
            test: (id) => hot.has(id),
          },
        ],
      },
    },
  });
  // Node 20 cannot run an import() in code compiled from a V8 code cache: the cache drops the
  // script options that name its loader. An ESM-only dependency is imported from a module that
  // stays out of the start-up file (packager/fetch-client.ts).
  const dynamic = /(?<![\w$.])import\((.{0,40})/.exec(readFileSync(join(out, code), 'utf8'));
  if (dynamic !== null) throw new Error(`${tool.name}: ${code} holds import(${dynamic[1]}: load it from a module that is imported lazily`);
  await warmAndCache(tool, join(out, code), join(out, `${tool.name}-cli.cjs`));
}

/**
 * Runs the CLI's usual commands once in this process on the freshly compiled code, then saves
 * V8's code for everything they compiled. A run that exits otherwise than expected fails the
 * build: the cache would not hold what start-up needs.
 */
async function warmAndCache(tool, codeFile, cliFile) {
  const compiled = compileModule(codeFile);
  compiled.run();
  const cli = createRequire(cliFile)(cliFile);
  const io = { stdout: () => {}, stderr: () => {}, env: {}, stderrIsTTY: false };
  for (const { argv, code } of tool.warm) {
    const got = await cli[tool.call](argv, io);
    if (got !== code) throw new Error(`${tool.name} ${argv.join(' ')}: exit ${got} while warming the code cache, wanted ${code}`);
  }
  writeFileSync(cacheFileFor(codeFile), compiled.script.createCachedData());
}

// The warm runs name fixtures from the repository root.
process.chdir(root);
for (const tool of TOOLS) {
  if (!existsSync(join(dist, tool.name, 'cli.js'))) throw new Error(`dist/${tool.name}/cli.js missing: run tsc first`);
  await bundle(tool);
}
