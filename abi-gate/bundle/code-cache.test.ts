import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheFileFor, compileModule, preloadWithCodeCache } from './code-cache.js';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'code-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let folders = 0;
/** A folder of CommonJS files; `main.cjs` is what gets preloaded. */
function files(contents: Record<string, string>): string {
  const dir = join(tmp, `case-${folders++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(contents)) writeFileSync(join(dir, name), text);
  return dir;
}

// A main file and a lazily loaded chunk that requires it back, as the bundles are laid out.
const BUNDLE = {
  'main.cjs': [
    'class Shared {}',
    'exports.Shared = Shared;',
    "exports.where = () => [__filename, __dirname, typeof require('node:path').join];",
    "exports.lazy = () => require('./chunk.cjs');",
  ].join('\n'),
  'chunk.cjs': "module.exports = require('./main.cjs').Shared;",
};

interface Main {
  Shared: unknown;
  where(): [string, string, string];
  lazy(): unknown;
}

describe('compileModule', () => {
  it('runs a file as require would: its exports, __filename, __dirname, require beside it', () => {
    const dir = files(BUNDLE);
    const main = compileModule(join(dir, 'main.cjs')).run() as Main;
    expect(main.where()).toEqual([join(dir, 'main.cjs'), dir, 'function']);
  });

  it('shares the one instance with chunks that require it back', () => {
    const dir = files(BUNDLE);
    const main = compileModule(join(dir, 'main.cjs')).run() as Main;
    expect(main.lazy()).toBe(main.Shared);
    expect(createRequire(join(dir, 'x.cjs'))('./main.cjs')).toBe(main);
  });

  it('compiles from source, with the same result, when V8 refuses the cache', () => {
    const dir = files(BUNDLE);
    const compiled = compileModule(join(dir, 'main.cjs'), Buffer.from('not a V8 code cache'));
    expect(compiled.script.cachedDataRejected).toBe(true);
    const main = compiled.run() as Main;
    expect(main.lazy()).toBe(main.Shared);
  });

  it('takes the cache it made after a run', () => {
    const first = files(BUNDLE);
    const made = compileModule(join(first, 'main.cjs'));
    (made.run() as Main).lazy();
    const data = made.script.createCachedData();
    const second = files(BUNDLE);
    const compiled = compileModule(join(second, 'main.cjs'), data);
    expect(compiled.script.cachedDataRejected).toBe(false);
    expect((compiled.run() as Main).where()[1]).toBe(second);
  });

  it('leaves no half-run module in require.cache when the file throws', () => {
    const dir = files({ 'main.cjs': "throw new Error('broken bundle');" });
    const file = join(dir, 'main.cjs');
    expect(() => compileModule(file).run()).toThrow('broken bundle');
    expect(createRequire(file).cache[file]).toBeUndefined();
  });
});

describe('preloadWithCodeCache', () => {
  it('names the cache after the V8 version and CPU, so another Node looks for its own', () => {
    expect(cacheFileFor('/d/x-code.cjs', '11.3.244.8-node.38', 'x64')).toBe('/d/x-code.cjs.v8-11.3.244.8-node.38-x64.cache');
    expect(cacheFileFor('/d/x-code.cjs')).toContain(process.versions.v8);
  });

  it('loads nothing without a cache for this V8: require compiles the file', () => {
    const dir = files(BUNDLE);
    const file = join(dir, 'main.cjs');
    writeFileSync(cacheFileFor(file, '0.0.0-other'), 'a cache of another V8');
    expect(preloadWithCodeCache(file)).toBe('absent');
    expect(createRequire(file).cache[file]).toBeUndefined();
  });

  it('preloads with a good cache, and still with a refused one', () => {
    const good = files(BUNDLE);
    const made = compileModule(join(good, 'main.cjs'));
    made.run();
    const data = made.script.createCachedData();
    const dir = files(BUNDLE);
    const file = join(dir, 'main.cjs');
    writeFileSync(cacheFileFor(file), data);
    expect(preloadWithCodeCache(file)).toBe('cached');
    const main = createRequire(file)(file) as Main;
    expect(main.lazy()).toBe(main.Shared);

    const other = files(BUNDLE);
    writeFileSync(cacheFileFor(join(other, 'main.cjs')), Buffer.from('garbage'));
    expect(preloadWithCodeCache(join(other, 'main.cjs'))).toBe('rejected');
    expect((createRequire(other)(join(other, 'main.cjs')) as Main).where()[1]).toBe(other);
  });
});

// The bundled bins in a copy of dist/ elsewhere: files beside the code (policies, package.json)
// are found from the bundle's own folder, and a wrong or missing cache changes nothing the user sees.
describe.skipIf(!existsSync(join(ROOT, 'dist', 'abi-gate', 'abi-gate.cjs')))('the bundled abi-gate bin (skipped when not built: run `npm run build`)', () => {
  const copy = join(tmp, 'installed');
  cpSync(join(ROOT, 'dist', 'abi-gate'), join(copy, 'dist', 'abi-gate'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
  const bin = join(copy, 'dist', 'abi-gate', 'abi-gate.cjs');
  const caches = () => readdirSync(join(copy, 'dist', 'abi-gate')).filter((name) => name.endsWith('.cache'));
  const run = (...args: string[]) => {
    const result = spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH } });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const scan = ['scan', 'fixtures/elf/symver-glibc-2.28.so', 'fixtures/elf/cxx-glibcxx-3.4.21.so'];
  const check = ['check', 'fixtures/elf/symver-glibc-2.28.so', '--policy', 'centos7', '--json'];
  // A tarball loads the tar chunk, which requires the cached code back.
  const tgz = join(copy, 'two.tar.gz');
  spawnSync('tar', ['-czf', tgz, '-C', join(ROOT, 'fixtures', 'elf'), 'symver-glibc-2.28.so', 'cxx-glibcxx-3.4.21.so']);
  const tarball = ['scan', '--json', tgz];

  it('ships a cache for the Node that built it', () => {
    expect(caches()).toEqual([`abi-gate-code.cjs.v8-${process.versions.v8}-${process.arch}.cache`]);
  });

  it('scans one file without building process.stdout or loading node’s streams (start-up, issue 12)', () => {
    // Recorded as the process exits: what the run loaded, and whether process.stdout was built.
    const probe = join(copy, 'probe.cjs');
    writeFileSync(probe, [
      "const { writeSync } = require('node:fs');",
      "let built = false;",
      "const own = Object.getOwnPropertyDescriptor(process, 'stdout');",
      "Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get() { built = true; return own.get.call(process); } });",
      "process.on('exit', () => writeSync(2, JSON.stringify({ built, streams: process.moduleLoadList.filter((m) => / (stream|net|tty)$/.test(m)) })));",
    ].join('\n'));
    // A C library, as the bench's one .node: C++ symbols would start c++filt (child_process, streams).
    const result = spawnSync(process.execPath, ['--require', probe, bin, 'scan', 'fixtures/elf/symver-glibc-2.28.so'], { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/symver-glibc-2\.28\.so/);
    expect(JSON.parse(result.stderr)).toEqual({ built: false, streams: [] });
  });

  it('prints the same with its cache, with a refused cache and with none', () => {
    const runs = () => [run(...scan), run(...check), run(...tarball), run('--version')];
    const cached = runs();
    expect(cached[0]?.status).toBe(0);
    expect(cached[1]?.status).toBe(1);
    expect(cached[2]?.status).toBe(0);
    expect((JSON.parse(cached[2]?.stdout ?? '') as { files: unknown[] }).files).toHaveLength(2);
    expect(JSON.parse(cached[1]?.stdout ?? '')).toMatchObject({ ok: false, policy: 'centos7' });
    expect(cached[3]?.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const [cache] = caches();
    writeFileSync(join(copy, 'dist', 'abi-gate', cache ?? ''), Buffer.from('made by another node'));
    expect(runs()).toEqual(cached);
    rmSync(join(copy, 'dist', 'abi-gate', cache ?? ''));
    expect(runs()).toEqual(cached);
  });
});
