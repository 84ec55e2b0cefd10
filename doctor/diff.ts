/**
 * `doctor diff <old> <new>`: what changed between two releases, read from manifests or computed
 * by the same streaming pass verify uses. Informational: only unreadable input is an error.
 */
import { familyMaxima, hasCode, ToolError } from '../abi-gate/index.js';
import { archOfMachine, ABI_FAMILIES, ABI_FAMILY_NAMES, compareVersions, diffHostRequirements, dropTopFolder, type AbiFamily, loadManifest, nodeModuleVersion, productCommit, type HostRequirementChange, type HostRequirements, type Manifest } from '../release/index.js';
import { requirementsOf } from './checks/requirements.js';
import { elfFiles } from './checks/glibc.js';
import { indexByRelative } from './checks/tree.js';
import { DEFAULT_LIMITS } from './verify-types.js';
import { readTarballFacts } from './verify-stream.js';

/** The manifest's families (release/manifest-types.ts), compared in this order. */
export const DIFF_FAMILIES = ABI_FAMILY_NAMES;
export type DiffFamily = AbiFamily;

export interface ReleaseFile {
  type: string;
  size: number;
  sha256: string | null;
}

export interface ReleaseCulprit {
  path: string;
  symbol: string | null;
}

/** The comparable facts of one release, from its manifest or its tarball. */
export interface ReleaseSummary {
  source: string;
  from: 'manifest' | 'tarball';
  commit: string | null;
  node: { version: string; moduleVersion: number | null } | null;
  min: Record<DiffFamily, string | null>;
  culprits: Record<DiffFamily, ReleaseCulprit[]>;
  files: Map<string, ReleaseFile>;
  /** What its host check asks for; null for a manifest older than the host check. */
  host: HostRequirements | null;
}

export type AbiChange = 'rose' | 'fell' | 'same' | 'added' | 'removed';

export interface AbiDiff {
  family: DiffFamily;
  old: string | null;
  new: string | null;
  change: AbiChange;
  /** Files and symbols that hold the new maximum (or the old one, when it fell). */
  culprits: { path: string; symbols: string[] }[];
}

export interface FileChange {
  path: string;
  oldSize: number;
  newSize: number;
}

export interface DiffReport {
  old: { source: string; from: 'manifest' | 'tarball'; commit: string | null };
  new: { source: string; from: 'manifest' | 'tarball'; commit: string | null };
  abi: AbiDiff[];
  /** Changed host requirements (check-requirements.sh), each with a one-line message. */
  hostCheck: HostRequirementChange[];
  node: {
    old: ReleaseSummary['node'];
    new: ReleaseSummary['node'];
    versionChanged: boolean;
    moduleVersionChanged: boolean;
  };
  files: {
    added: { path: string; size: number }[];
    removed: { path: string; size: number }[];
    changed: FileChange[];
  };
}


function emptyCulprits(): Record<DiffFamily, ReleaseCulprit[]> {
  return { GLIBC: [], GLIBCXX: [], CXXABI: [] };
}

export function summaryFromManifest(source: string, manifest: Manifest): ReleaseSummary {
  const culprits = emptyCulprits();
  const min: Record<DiffFamily, string | null> = { GLIBC: null, GLIBCXX: null, CXXABI: null };
  for (const { family, key } of ABI_FAMILIES) {
    min[family] = manifest.abi[key];
    culprits[family] = (manifest.abi.culprits[family] ?? []).map((c) => ({ path: c.path, symbol: c.symbol }));
  }
  const files = new Map<string, ReleaseFile>();
  for (const file of manifest.files) files.set(file.path, { type: file.type, size: file.size, sha256: file.sha256 });
  return {
    source,
    from: 'manifest',
    commit: manifest.commit,
    node: { version: manifest.node.version.replace(/^v/, ''), moduleVersion: manifest.node.moduleVersion },
    min,
    culprits,
    files,
    host: manifest.hostRequirements ?? null,
  };
}

async function summaryFromTarball(source: string): Promise<ReleaseSummary> {
  let facts;
  try {
    facts = await readTarballFacts(source, DEFAULT_LIMITS);
  } catch (error) {
    if (hasCode(error, 'TARBALL_UNREADABLE')) throw new ToolError('DIFF_UNREADABLE', error.message, { exitCode: 2 });
    throw error;
  }
  if (!facts.complete || !facts.integrity.ok) {
    const why = facts.integrity.ok ? 'it stopped at a limit' : facts.integrity.message;
    throw new ToolError('DIFF_UNREADABLE', `${source}: cannot be read to its end (${why})`, {
      hint: 'run doctor verify on it',
      exitCode: 2,
    });
  }
  const maxima = familyMaxima(elfFiles(facts), DIFF_FAMILIES);
  const min: Record<DiffFamily, string | null> = { GLIBC: null, GLIBCXX: null, CXXABI: null };
  const culprits = emptyCulprits();
  for (const family of DIFF_FAMILIES) {
    min[family] = maxima[family]?.version ?? null;
    culprits[family] = (maxima[family]?.culprits ?? []).map((c) => ({ path: dropTopFolder(c.path) ?? c.path, symbol: c.symbol }));
  }
  const files = new Map<string, ReleaseFile>();
  for (const [path, entry] of indexByRelative(facts)) files.set(path, { type: entry.kind, size: entry.size, sha256: entry.sha256 });
  return {
    source,
    from: 'tarball',
    commit: productCommit(facts.productJson).commit,
    node: facts.nodeVersion === null ? null : { version: facts.nodeVersion, moduleVersion: nodeModuleVersion(facts.nodeVersion) },
    min,
    culprits,
    files,
    host: requirementsOf(facts, archOfMachine(elfFiles(facts).find((f) => dropTopFolder(f.path) === 'node')?.machine) ?? 'x64'),
  };
}

/** A `.json` is read as a manifest; anything else as a tarball. */
export async function loadRelease(source: string): Promise<ReleaseSummary> {
  if (!source.endsWith('.json')) return summaryFromTarball(source);
  const load = await loadManifest(source);
  if (load.state === 'missing') throw new ToolError('DIFF_UNREADABLE', `${source}: cannot read the manifest (no such file)`, { exitCode: 2 });
  if (load.state === 'invalid') {
    throw new ToolError('DIFF_UNREADABLE', `${source}: not a valid manifest: ${load.errors[0] ?? 'schema error'}`, { exitCode: 2 });
  }
  return summaryFromManifest(source, load.manifest);
}

function changeOf(old: string | null, next: string | null): AbiChange {
  if (old === next) return 'same';
  if (old === null) return 'added';
  if (next === null) return 'removed';
  const order = compareVersions(old, next);
  return order < 0 ? 'rose' : order > 0 ? 'fell' : 'same';
}

function groupCulprits(list: readonly ReleaseCulprit[]): { path: string; symbols: string[] }[] {
  const byPath = new Map<string, Set<string>>();
  for (const c of list) {
    const set = byPath.get(c.path) ?? new Set<string>();
    if (c.symbol !== null) set.add(c.symbol);
    byPath.set(c.path, set);
  }
  return [...byPath].map(([path, symbols]) => ({ path, symbols: [...symbols].sort() }));
}

export function diffReleases(old: ReleaseSummary, next: ReleaseSummary): DiffReport {
  const abi = DIFF_FAMILIES.map((family): AbiDiff => {
    const change = changeOf(old.min[family], next.min[family]);
    const holder = change === 'fell' || change === 'removed' ? old : next;
    return { family, old: old.min[family], new: next.min[family], change, culprits: change === 'same' ? [] : groupCulprits(holder.culprits[family]) };
  });
  const added: DiffReport['files']['added'] = [];
  const removed: DiffReport['files']['removed'] = [];
  const changed: FileChange[] = [];
  for (const [path, file] of next.files) {
    const before = old.files.get(path);
    if (before === undefined) added.push({ path, size: file.size });
    else if (before.type !== file.type || before.size !== file.size || before.sha256 !== file.sha256) {
      changed.push({ path, oldSize: before.size, newSize: file.size });
    }
  }
  for (const [path, file] of old.files) if (!next.files.has(path)) removed.push({ path, size: file.size });
  const byPath = (a: { path: string }, b: { path: string }): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return {
    old: { source: old.source, from: old.from, commit: old.commit },
    new: { source: next.source, from: next.from, commit: next.commit },
    abi,
    hostCheck: diffHostRequirements(old.host, next.host),
    node: {
      old: old.node,
      new: next.node,
      versionChanged: old.node?.version !== next.node?.version,
      moduleVersionChanged: old.node?.moduleVersion !== next.node?.moduleVersion,
    },
    files: { added: added.sort(byPath), removed: removed.sort(byPath), changed: changed.sort(byPath) },
  };
}

export async function diff(oldSource: string, newSource: string): Promise<DiffReport> {
  const [old, next] = await Promise.all([loadRelease(oldSource), loadRelease(newSource)]);
  return diffReleases(old, next);
}

/** True when any of the families rose: the optional `--fail-on-glibc-rise` gate. */
export function glibcRose(report: DiffReport): boolean {
  return report.abi.some((a) => a.change === 'rose' || a.change === 'added');
}
