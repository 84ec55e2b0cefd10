/**
 * `packager build`: server in, release out. The pipeline: check options -> stage the server ->
 * overlay natives and node -> add the launcher -> scan every binary once (foreign binaries, policy
 * gate, ABI summary) -> pack and hash in one read per file -> publish atomically.
 */
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import createDebug from 'debug';
import { checkFiles, fixHints, hintLines, loadPolicy, ToolError, type Policy, type PolicyCheckResult, type ScanEntry } from '../abi-gate/index.js';
import { abiSummary, foreignReason, scanTree } from './binaries.js';
import { BuildCheckError } from './check-error.js';
import { extractTarball } from './extract.js';
import { addHostCheck } from './host-check.js';
import { releaseBaseName, validateManifest } from './manifest.js';
import type { Manifest, ManifestFile } from './manifest-types.js';
import { applyNatives, checkNodeBinary, type NativeChange } from './natives.js';
import { resolveNode, type NodeContext, type ResolvedNode } from './node.js';
import { resolveOptions, type BuildOptions, type ResolvedOptions } from './options.js';
import { packageVersion } from './package-version.js';
import { checkOutWritable, ensureOut, tempPath, writeSums } from './publish.js';
import { launcherScript, readProduct } from './server.js';
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
  const staging = await mkdtemp(join(tmpdir(), 'remote-ai-packager-'));
  try {
    return await buildIn(opts, policy, staging);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function stageServer(opts: ResolvedOptions, staging: string, stripped: StrippedCounts): Promise<string> {
  if (opts.server.kind === 'folder') return opts.server.path;
  const dest = join(staging, 'server');
  const extracted = await extractTarball(opts.server.path, dest, `--server ${opts.server.path}`, stripped);
  // Code-OSS build tarballs hold one folder (vscode-reh-linux-x64/): that folder is the server.
  return extracted.topIsDirectory ? join(dest, extracted.topLevel[0] as string) : dest;
}

async function requireFile(root: string, path: string, label: string): Promise<void> {
  const stats = await stat(join(root, path)).catch(() => null);
  if (stats?.isFile() !== true) {
    throw new ToolError('SERVER_INCOMPLETE', `${label} has no ${path}`, {
      hint: 'pass the vscode-reh-linux-<arch> build output (out/, product.json, node_modules/, ...)',
    });
  }
}

async function buildIn(opts: ResolvedOptions, policy: Policy | null, staging: string): Promise<BuildResult> {
  const stripped = emptyStripped();
  const root = await stageServer(opts, staging, stripped);
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

  const natives = await applyNatives(tree, opts, staging, stripped);
  const node = await overlayNode(tree, opts, staging);

  const launcherPath = `bin/${opts.name}`;
  const ownLauncher = `bin/${product.serverApplicationName}`;
  const own = tree.get(ownLauncher);
  let launcher: BuildResult['launcher'] = 'server';
  if (own?.type === 'file') {
    tree.set(launcherPath, { ...own, executable: true });
  } else {
    const script = launcherScript();
    const staged = join(staging, 'launcher.sh');
    await writeFile(staged, script);
    tree.set(launcherPath, { type: 'file', source: staged, size: Buffer.byteLength(script), executable: true });
    launcher = 'generated';
  }

  let entries = scanTree(tree);
  debug('scanned: %d native binaries', entries.length);
  const pruned: PrunedBinary[] = [];
  for (const entry of entries) {
    const reason = foreignReason(entry, opts.arch);
    if (reason !== null) pruned.push({ path: entry.path, reason });
  }
  pruned.sort((a, b) => (a.path < b.path ? -1 : 1));
  if (pruned.length > 0) {
    if (!opts.pruneForeign) {
      throw new BuildCheckError(
        'FOREIGN_BINARIES',
        `${pruned.length} binar${pruned.length === 1 ? 'y is' : 'ies are'} not for linux-${opts.arch}: ${pruned.map((p) => p.path).join(', ')}`,
        pruned.map((p) => `${p.path}: ${p.reason}`),
        'overlay Linux builds with --native, or drop them with --prune-foreign',
      );
    }
    const gone = new Set(pruned.map((p) => p.path));
    for (const path of gone) tree.deleteWithEmptyParents(path);
    entries = entries.filter((entry) => !gone.has(entry.path));
  }

  const check = policy === null ? null : gate(entries, policy, tree);
  const abi = abiSummary(entries);
  const hostRequirements = await addHostCheck(tree, entries, opts.arch, staging);
  debug('gate %s passed', policy?.name ?? '(none)');

  const base = releaseBaseName(opts.name, opts.commit, opts.arch);
  await ensureOut(opts.out);
  const tarballName = `${base}.tar.gz`;
  const tarball = join(opts.out, tarballName);
  const manifestPath = join(opts.out, `${base}.manifest.json`);
  const tempTarball = tempPath(opts.out, tarballName);
  const tempManifest = tempPath(opts.out, `${base}.manifest.json`);
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
      onProgress: (bytes) => opts.onProgress({ phase: 'pack', packed: bytes, total }),
    });
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
      abi: { ...abi, minKernel: hostRequirements.kernel?.version ?? null, policy: policy === null ? 'none' : opts.policy },
      hostRequirements,
      files,
      createdBy: { tool: 'packager', version: await packageVersion() },
      sourceDateEpoch: opts.sourceDateEpoch,
    };
    const valid = validateManifest(manifest);
    if (!valid.ok) throw new Error(`internal: the manifest does not match its schema: ${valid.errors.join('; ')}`);
    await writeFile(tempManifest, `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'wx' });
    await rename(tempTarball, tarball);
    await rename(tempManifest, manifestPath);
    const sumsPath = await writeSums(opts.out, new Map([[tarballName, packed.sha256]]));
    debug('published %s', tarball);
    return { tarball, manifestPath, sumsPath, manifest, stripped, natives, pruned, commitSet, launcher, policy: check };
  } finally {
    await rm(tempTarball, { force: true });
    await rm(tempManifest, { force: true });
  }
}

function gate(entries: ScanEntry[], policy: Policy, tree: ServerTree): PolicyCheckResult {
  const result = checkFiles(entries, policy, { has: (path: string) => tree.has(path) });
  if (!result.ok) {
    const files = new Set(result.violations.map((v) => v.path));
    throw new BuildCheckError(
      'POLICY_VIOLATION',
      `policy ${policy.name} refuses ${files.size} file${files.size === 1 ? '' : 's'}: ${[...files].sort().join(', ')}`,
      [...result.violations.map((v) => v.message), ...hintLines(fixHints(result.violations.flatMap((v) => v.culprits)))],
      'rebuild those binaries for the policy (or pick another with --policy); nothing was written',
    );
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
