/**
 * Loads a bundled CommonJS file with a V8 code cache made at build time (scripts/bundle-bins.mjs),
 * so a CLI's start-up does not compile its ~300 kB of code again on every run. Node 20 has no
 * `module.enableCompileCache` (22.1+), and the ESM loader cannot take `cachedData`; `vm.Script`
 * can. The cache is only a speed-up: when it is missing or V8 refuses it (another Node or V8
 * version, other V8 flags), the file is compiled as `require` would, with the same result.
 *
 * The compiled module goes into `require.cache` under its own path before it runs, so the lazily
 * loaded chunks that `require` it back (tar reading, policies) share its instances: one ToolError
 * class, one set of module state.
 */
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** How a file was loaded: with the cache, compiled after V8 refused it, or with no cache for this V8. */
export type CacheUse = 'cached' | 'rejected' | 'absent';

type ModuleWrapper = (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;

/**
 * The cache file for `file` under this V8 and CPU. V8 refuses a cache made by another version
 * anyway; naming the version lets another Node skip reading it, and lets `require` (with its own
 * compile cache on Node >= 22.1) compile the file instead.
 */
export function cacheFileFor(file: string, v8Version: string = process.versions.v8, arch: string = process.arch): string {
  return `${file}.v8-${v8Version}-${arch}.cache`;
}

/** A compiled, not yet run, CommonJS file: what the build runs once and then serializes. */
export interface CompiledModule {
  script: Script;
  /** Runs the file as `require` would and returns its exports; it is then in `require.cache`. */
  run(): unknown;
}

/**
 * Compiles `file` (a CommonJS file) with `cachedData`, if given. V8 checks the cache against its
 * version, its flags and the source's length; a refused cache leaves `script.cachedDataRejected`
 * true and the script compiled from source.
 */
export function compileModule(file: string, cachedData?: Buffer): CompiledModule {
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), {
    filename: file,
    // No importModuleDynamically: code deserialized from a cache loses it on Node 20, so the
    // bundles hold no import() (the build checks).
    ...(cachedData === undefined ? {} : { cachedData }),
  });
  return {
    script,
    run: () => {
      const require = createRequire(file);
      const module = new Module(file);
      module.filename = file;
      require.cache[file] = module;
      try {
        (script.runInThisContext() as ModuleWrapper).call(module.exports, module.exports, require, module, file, dirname(file));
      } catch (error) {
        // As require does: a file that failed to load is not cached half-run.
        delete require.cache[file];
        throw error;
      }
      module.loaded = true;
      return module.exports;
    },
  };
}

/**
 * Puts `file` into `require.cache`, compiled with its code cache when there is one for this V8;
 * a later `require(file)` returns it. Without a cache file nothing is loaded (`absent`): `require`
 * compiles the file itself.
 */
export function preloadWithCodeCache(file: string): CacheUse {
  let cachedData: Buffer;
  try {
    cachedData = readFileSync(cacheFileFor(file));
  } catch {
    return 'absent';
  }
  const compiled = compileModule(file, cachedData);
  compiled.run();
  return compiled.script.cachedDataRejected === true ? 'rejected' : 'cached';
}
