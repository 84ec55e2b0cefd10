/**
 * `packager build`: server in, release out. The pipeline: check options -> assemble the tree
 * (stage the server, overlay natives and node, add the launcher) -> judge its entries with the
 * rule doctor verifies -> scan every binary once (foreign binaries, policy gate, ABI summary) ->
 * pack and hash in one read per file -> publish atomically.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import createDebug from 'debug';
import { checkFiles, fixHints, hintLines, loadPolicy, ToolError, type Policy, type PolicyCheckResult, type ScanEntry } from '../abi-gate/index.js';
import { abiSummary, foreignReason, scanTree } from './binaries.js';
import {
  manifestFileName,
  releaseBaseName,
  serializeManifest,
  tarballFileName,
  walkEntries,
  type HostRequirements,
  type Manifest,
  type ManifestFile,
  type ReleaseEntry,
} from '../release/index.js';
import { extractTarball, type KnownScans } from './extract.js';
import { addHostCheck } from './host-check.js';
import { applyNatives, checkNodeBinary, type NativeChange } from './natives.js';
import { resolveNode, type NodeContext, type ResolvedNode } from './node.js';
import { resolveOptions, type BuildOptions, type ResolvedOptions } from './options.js';
import { packageVersion } from './package-version.js';
import type { Steps } from './checkpoints.js';
import { guarded } from './guard.js';
import { checkOutWritable, ensureOut, publishRelease, tempPath } from './publish.js';
import { launcherScript, readProduct, type Product } from './server.js';
import { emptyStripped, ServerTree, walkFolder, type StrippedCounts } from './tree.js';
import { writeTarGz, type PackEntry } from './tar-writer.js';

const debug = createDebug('remote-ai:packager:build');

export interface PrunedBinary {
  path: string;
  reason: string;
}

export interface BuildResult {
  tarball: string;
  manifestPath: string;
  sumsPath: string;
  manifest: Manifest;
  stripped: StrippedCounts;
  natives: NativeChange[];
  pruned: PrunedBinary[];
  /** Whether product.json got its commit set by the build. */
  commitSet: boolean;
  /** Where `bin/<name>` came from. */
  launcher: 'server' | 'generated';
  policy: PolicyCheckResult | null;
}

export async function build(options: BuildOptions): Promise<BuildResult> {
  const opts = await resolveOptions(options);
  await checkOutWritable(opts.out);
  const policy: Policy | null = opts.policy === 'none' ? null : loadPolicy(opts.policy);
  return guarded(opts, options, (staging, step) => buildIn(opts, policy, staging, step));
}

async function stageServer(opts: ResolvedOptions, staging: string, stripped: StrippedCounts, known: KnownScans): Promise<string> {
  if (opts.server.kind === 'folder') return opts.server.path;
  const dest = join(staging, 'server');
  const extracted = await extractTarball(opts.server.path, dest, `--server ${opts.server.path}`, stripped, known);
  // Code-OSS build tarballs hold one folder (vscode-reh-linux-x64/): that folder is the server.
  return extracted.top === null ? dest : join(dest, extracted.top);
}

async function requireFile(root: string, path: string, label: string): Promise<void> {
  const stats = await stat(join(root, path)).catch(() => null);
  if (stats?.isFile() !== true) {
    throw new ToolError('SERVER_INCOMPLETE', `${label} has no ${path}`, {
      hint: 'pass the vscode-reh-linux-<arch> build output (out/, product.json, node_modules/, ...)',
    });
  }
}

/** The release as a tree before a byte is packed, and what went into it. */
interface Assembled {
  tree: ServerTree;
  stripped: StrippedCounts;
  product: Product;
  commitSet: boolean;
  natives: NativeChange[];
  node: ResolvedNode;
  launcher: BuildResult['launcher'];
  /** Files scanned while they were extracted from a tarball input. */
  known: KnownScans;
}

async function buildIn(opts: ResolvedOptions, policy: Policy | null, staging: string, step: Steps): Promise<BuildResult> {
  const assembled = await assemble(opts, staging);
  await step('staged');
  const base = releaseBaseName(opts.name, opts.commit, opts.arch);
  checkEntries(assembled.tree, base);
  const { entries, pruned } = dropForeign(assembled, opts);
  const check = policy === null ? null : gate(entries, policy, assembled.tree);
  debug('gate %s passed', policy?.name ?? '(none)');
  await step('gated');
  const hostRequirements = await addHostCheck(assembled.tree, entries, opts.arch, staging);
  const abi = { ...abiSummary(entries), minKernel: hostRequirements.kernel?.version ?? null, policy: policy === null ? 'none' : opts.policy };
  const published = await publish(opts, base, assembled, abi, step, hostRequirements);
  const { stripped, natives, commitSet, launcher } = assembled;
  return { ...published, stripped, natives, pruned, commitSet, launcher, policy: check };
}

/** Server, product.json commit, natives, node and launcher, laid out as one tree. */
async function assemble(opts: ResolvedOptions, staging: string): Promise<Assembled> {
  const stripped = emptyStripped();
  const known: KnownScans = new Map();
  const root = await stageServer(opts, staging, stripped, known);
  const label = `--server ${opts.server.path}`;
  await requireFile(root, 'out/server-main.js', label);
  await requireFile(root, 'product.json', label);

  const tree = new ServerTree();
  await walkFolder(root, tree, { label: '--server', stripped, allowSymlinks: true });
  debug('server %s: %d paths', root, tree.size);

  const product = await readProduct(join(root, 'product.json'), opts.commit);
  let commitSet = false;
  if (product.updated !== null) {
    const staged = join(staging, 'product.json');
    await writeFile(staged, product.updated);
    tree.set('product.json', { type: 'file', source: staged, size: Buffer.byteLength(product.updated), executable: false });
    commitSet = true;
  }

  const natives = await applyNatives(tree, opts, staging, stripped, known);
  const node = await overlayNode(tree, opts, staging);
  const launcher = await addLauncher(tree, opts, staging, product);
  return { tree, stripped, product, commitSet, natives, node, launcher, known };
}

/** `bin/<name>`: the server's own launcher when it ships one, else a generated one. */
async function addLauncher(tree: ServerTree, opts: ResolvedOptions, staging: string, product: Product): Promise<BuildResult['launcher']> {
  const launcherPath = `bin/${opts.name}`;
  const own = tree.get(`bin/${product.serverApplicationName}`);
  if (own?.type === 'file') {
    tree.set(launcherPath, { ...own, executable: true });
    return 'server';
  }
  const script = launcherScript();
  const staged = join(staging, 'launcher.sh');
  await writeFile(staged, script);
  tree.set(launcherPath, { type: 'file', source: staged, size: Buffer.byteLength(script), executable: true });
  return 'generated';
}

/**
 * The entries packager is about to pack, judged by the rule doctor verifies them with: a link
 * that leaves the release once earlier links are followed (`x -> .` then `y -> x/..`), a loop,
 * anything doctor's `paths` check would fail.
 */
function checkEntries(tree: ServerTree, base: string): void {
  const entries: ReleaseEntry[] = [{ path: `${base}/`, kind: 'directory', mode: 0o755, linkpath: null }];
  for (const path of tree.sortedPaths()) {
    const node = tree.get(path);
    if (node === undefined) continue;
    const linkpath = node.type === 'symlink' ? node.target : null;
    entries.push({ path: `${base}/${path}`, kind: node.type, mode: node.type === 'symlink' ? 0o777 : 0o755, linkpath });
  }
  const findings = walkEntries(entries, base);
  if (findings.length === 0) return;
  const details = findings.map((f) => `${f.path.slice(base.length + 1)}: ${f.finding}`);
  const links = findings.every((f) => tree.get(f.path.slice(base.length + 1))?.type === 'symlink');
  throw new ToolError(links ? 'UNSAFE_SYMLINK' : 'UNSAFE_ENTRY', `--server: ${details[0] ?? ''}${details.length > 1 ? ` (+${details.length - 1} more)` : ''}`, {
    details,
    hint: 'replace such links with the files they point to, or with relative links that stay inside the server',
  });
}

/** Every native binary scanned once; the foreign ones refused, or dropped with --prune-foreign. */
function dropForeign({ tree, known }: Assembled, opts: ResolvedOptions): { entries: ScanEntry[]; pruned: PrunedBinary[] } {
  const entries = scanTree(tree, known);
  debug('scanned: %d native binaries', entries.length);
  const pruned: PrunedBinary[] = [];
  for (const entry of entries) {
    const reason = foreignReason(entry, opts.arch);
    if (reason !== null) pruned.push({ path: entry.path, reason });
  }
  pruned.sort((a, b) => (a.path < b.path ? -1 : 1));
  if (pruned.length === 0) return { entries, pruned };
  if (!opts.pruneForeign) {
    throw new ToolError(
      'FOREIGN_BINARIES',
      `${pruned.length} binar${pruned.length === 1 ? 'y is' : 'ies are'} not for linux-${opts.arch}: ${pruned.map((p) => p.path).join(', ')}`,
      { details: pruned.map((p) => `${p.path}: ${p.reason}`), hint: 'overlay Linux builds with --native, or drop them with --prune-foreign' },
    );
  }
  const gone = new Set(pruned.map((p) => p.path));
  for (const path of gone) tree.deleteWithEmptyParents(path);
  return { entries: entries.filter((entry) => !gone.has(entry.path)), pruned };
}

type Published = Pick<BuildResult, 'tarball' | 'manifestPath' | 'sumsPath' | 'manifest'>;

/** Packs the tree and hashes it in one read per file, writes the manifest, publishes both. */
async function publish(
  opts: ResolvedOptions,
  base: string,
  assembled: Assembled,
  abi: Manifest['abi'],
  step: Steps,
  hostRequirements: HostRequirements,
): Promise<Published> {
  const { tree, product, node } = assembled;
  await ensureOut(opts.out);
  const tarballName = tarballFileName(opts.name, opts.commit, opts.arch);
  const manifestName = manifestFileName(opts.name, opts.commit, opts.arch);
  const tarball = join(opts.out, tarballName);
  const manifestPath = join(opts.out, manifestName);
  const tempTarball = tempPath(opts.out, tarballName);
  const tempManifest = tempPath(opts.out, manifestName);
  try {
    const paths = tree.sortedPaths();
    const packEntries: PackEntry[] = [{ type: 'directory', path: base }];
    let total = 0;
    for (const path of paths) {
      const node = tree.get(path);
      if (node === undefined) continue;
      const archivePath = `${base}/${path}`;
      if (node.type === 'file') {
        packEntries.push({ type: 'file', path: archivePath, source: node.source, size: node.size, executable: node.executable });
        total += node.size;
      } else if (node.type === 'symlink') packEntries.push({ type: 'symlink', path: archivePath, target: node.target });
      else packEntries.push({ type: 'directory', path: archivePath });
    }
    const packed = await writeTarGz(packEntries, tempTarball, {
      mtime: opts.sourceDateEpoch,
      onProgress: (bytes) => {
        opts.onProgress({ phase: 'pack', packed: bytes, total });
        step.throwIfAborted();
      },
    });
    await step('packed');
    const files: ManifestFile[] = paths.map((path, i) => {
      const node = tree.get(path);
      const result = packed.entries[i + 1];
      if (node === undefined || result === undefined) throw new Error(`internal: ${path} lost while packing`);
      const file: ManifestFile = {
        path,
        type: node.type,
        size: result.size,
        sha256: result.sha256,
        mode: `0${result.mode.toString(8)}`,
      };
      if (node.type === 'symlink') file.linkTarget = node.target;
      return file;
    });
    const manifest: Manifest = {
      schemaVersion: 1,
      name: opts.name,
      commit: opts.commit,
      version: product.version,
      target: { os: 'linux', arch: opts.arch },
      tarball: { file: tarballName, sha256: packed.sha256, size: packed.size },
      node: { version: node.version, moduleVersion: node.moduleVersion, sha256: node.sha256, source: node.source, flavor: node.flavor },
      abi,
      hostRequirements,
      files,
      createdBy: { tool: 'packager', version: await packageVersion() },
      sourceDateEpoch: opts.sourceDateEpoch,
    };
    await writeFile(tempManifest, serializeManifest(manifest), { flag: 'wx' });
    await step('manifest-written');
    const sumsPath = await publishRelease({ out: opts.out, tarballName, manifestName, tempTarball, tempManifest, sha256: packed.sha256, step });
    debug('published %s', tarball);
    return { tarball, manifestPath, sumsPath, manifest };
  } finally {
    await rm(tempTarball, { force: true });
    await rm(tempManifest, { force: true });
  }
}

function gate(entries: ScanEntry[], policy: Policy, tree: ServerTree): PolicyCheckResult {
  const result = checkFiles(entries, policy, { has: (path: string) => tree.has(path) });
  if (!result.ok) {
    const files = new Set(result.violations.map((v) => v.path));
    throw new ToolError('POLICY_VIOLATION', `policy ${policy.name} refuses ${files.size} file${files.size === 1 ? '' : 's'}: ${[...files].sort().join(', ')}`, {
      details: [...result.violations.map((v) => v.message), ...hintLines(fixHints(result.violations.flatMap((v) => v.culprits)))],
      hint: 'rebuild those binaries for the policy (or pick another with --policy); nothing was written',
    });
  }
  return result;
}

async function overlayNode(tree: ServerTree, opts: ResolvedOptions, staging: string): Promise<ResolvedNode> {
  const nodeStaging = join(staging, 'node-binary');
  await mkdir(nodeStaging);
  let resolved: ResolvedNode;
  if (opts.node === null) {
    const own = tree.get('node');
    if (own?.type !== 'file') {
      throw new ToolError('NODE_REQUIRED', `--server ${opts.server.path} has no node binary`, {
        hint: 'pass --node <binary | node-v<V>-linux-<arch>.tar.gz | version>',
      });
    }
    resolved = await resolveNode({ kind: 'binary', path: own.source }, baseNodeContext(opts, nodeStaging));
    resolved.source = 'server';
  } else {
    resolved = await resolveNode(opts.node, baseNodeContext(opts, nodeStaging));
  }
  checkNodeBinary(resolved.binary, resolved.source, opts.arch);
  const size = (await stat(resolved.binary)).size;
  tree.set('node', { type: 'file', source: resolve(resolved.binary), size, executable: true });
  return resolved;
}

function baseNodeContext(opts: ResolvedOptions, staging: string): NodeContext {
  return {
    arch: opts.arch,
    flavor: opts.nodeFlavor,
    mirror: opts.nodeMirror,
    cacheDir: opts.cacheDir,
    downloader: opts.downloader,
    staging,
    onDownloadProgress: (received: number, total: number | null) =>
      opts.onProgress({ phase: 'download', url: opts.nodeMirror, received, total }),
  };
}
