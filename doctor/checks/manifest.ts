import { basename } from 'node:path';
import { familyMaxima } from '../../abi-gate/index.js';
import { ABI_FAMILIES, ABI_FAMILY_NAMES, compareVersions, dropTopFolder, parseTarballName, productCommit, targetDisagreement, type Manifest, type ManifestFile } from '../../release/index.js';
import type { CheckResult } from '../report-types.js';
import type { CheckContext, EntryFact, TarballFacts } from '../verify-types.js';
import { elfFiles } from './glibc.js';
import { fail, formatBytes, incompleteReason, indexByRelative, pass, relativeToTop, skip, topFolder } from './tree.js';

const KIND_OF: Record<ManifestFile['type'], EntryFact['kind']> = { file: 'file', directory: 'directory', symlink: 'symlink' };

function modeString(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** The manifest's file list against the entries: missing, extra and altered, each named. */
function compareFiles(manifest: Manifest, facts: TarballFacts): string[] {
  const index = indexByRelative(facts);
  const problems: string[] = [];
  const listed = new Set<string>();
  for (const file of manifest.files) {
    listed.add(file.path);
    const entry = index.get(file.path);
    if (entry === undefined) {
      problems.push(`missing: ${file.path} is in the manifest but not in the tarball`);
      continue;
    }
    const altered: string[] = [];
    if (KIND_OF[file.type] !== entry.kind) altered.push(`type ${file.type} -> ${entry.kind}`);
    else if (file.type === 'file') {
      if (file.size !== entry.size) altered.push(`size ${file.size} -> ${entry.size}`);
      if (file.sha256 !== entry.sha256) altered.push(`sha256 ${String(file.sha256).slice(0, 12)}… -> ${String(entry.sha256).slice(0, 12)}…`);
    } else if (file.type === 'symlink' && (file.linkTarget ?? null) !== entry.linkpath) {
      altered.push(`link target ${file.linkTarget ?? '?'} -> ${entry.linkpath ?? '?'}`);
    }
    if (file.mode !== modeString(entry.mode) && file.type !== 'symlink') altered.push(`mode ${file.mode} -> ${modeString(entry.mode)}`);
    if (altered.length > 0) problems.push(`altered: ${file.path} (${altered.join(', ')})`);
  }
  // A manifest may leave folders implicit; every other entry must be listed.
  const listsFolders = manifest.files.some((f) => f.type === 'directory');
  for (const [path, entry] of index) {
    if (listed.has(path) || (entry.kind === 'directory' && !listsFolders)) continue;
    problems.push(`extra: ${path} (${entry.kind}, ${formatBytes(entry.size)}) is in the tarball but not in the manifest`);
  }
  return problems;
}

function compareAbi(manifest: Manifest, facts: TarballFacts): string[] {
  const maxima = familyMaxima(elfFiles(facts), ABI_FAMILY_NAMES);
  const problems: string[] = [];
  for (const { family, key, label } of ABI_FAMILIES) {
    const claimed = manifest.abi[key];
    const actual = maxima[family]?.version ?? null;
    const same = claimed === actual || (claimed !== null && actual !== null && compareVersions(claimed, actual) === 0);
    if (!same) {
      problems.push(`abi: ${label} is ${actual ?? 'none'} in the tarball, the manifest says ${claimed ?? 'none'}`);
      continue;
    }
    // The culprits are what a reviewer reads ("node needs it for fcntl64"): they must be true too.
    const culprit = (c: { path: string; symbol: string | null; version: string }): string => `${c.path}: ${c.symbol ?? '(version entry)'}@${c.version}`;
    const top = topFolder(facts.entries);
    const computed = new Set((maxima[family]?.culprits ?? []).map((c) => culprit({ ...c, path: relativeToTop(c.path, top) ?? c.path })));
    const listed = new Set((manifest.abi.culprits[family] ?? []).map(culprit));
    const missing = [...computed].filter((c) => !listed.has(c));
    const extra = [...listed].filter((c) => !computed.has(c));
    if (missing.length > 0) problems.push(`abi: ${family} culprits missing from the manifest: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? `, +${missing.length - 3} more` : ''}`);
    if (extra.length > 0) problems.push(`abi: ${family} culprits in the manifest that no binary has: ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? `, +${extra.length - 3} more` : ''}`);
  }
  return problems;
}

export function checkManifest(ctx: CheckContext): CheckResult {
  const { facts, manifest: load } = ctx;
  if (load.state === 'missing') {
    return fail('manifest', `no manifest: expected ${load.file} beside the tarball (or pass --manifest <file>)`);
  }
  if (load.state === 'invalid') {
    return fail('manifest', `${load.file} is not a valid manifest: ${load.errors[0] ?? 'schema error'}`, load.errors);
  }
  if (!facts.complete) return skip('manifest', incompleteReason(facts));
  const { manifest } = load;
  const problems: string[] = [];
  if (facts.compressedSha256 !== manifest.tarball.sha256) {
    problems.push(`tarball sha256 is ${facts.compressedSha256 ?? '?'}, the manifest says ${manifest.tarball.sha256}`);
  }
  if (facts.compressedSize !== manifest.tarball.size) {
    problems.push(`tarball size is ${facts.compressedSize} bytes, the manifest says ${manifest.tarball.size}`);
  }
  const name = parseTarballName(basename(facts.file));
  const node = [...facts.binaries.values()].find((scan) => dropTopFolder(scan.path) === 'node' && scan.format === 'elf');
  const target = targetDisagreement({ fileName: name.arch, manifest: manifest.target.arch, nodeMachine: node?.machine ?? null });
  if (target !== null) problems.push(target);
  const fromName = name.commit;
  if (fromName === null) problems.push(`commit: the file name ${basename(facts.file)} carries no 40-hex commit to compare with ${manifest.commit}`);
  else if (fromName !== manifest.commit) problems.push(`commit: the file name says ${fromName}, the manifest says ${manifest.commit}`);
  const product = productCommit(facts.productJson);
  if (product.error !== null) problems.push(`commit: ${product.error}`);
  else if (product.commit !== manifest.commit) problems.push(`commit: product.json says ${product.commit}, the manifest says ${manifest.commit}`);
  problems.push(...compareFiles(manifest, facts), ...compareAbi(manifest, facts));

  if (problems.length > 0) {
    return fail('manifest', `${problems.length} mismatches with ${basename(load.file)}: ${problems[0]}`, problems);
  }
  const top = topFolder(facts.entries) ?? '.';
  return pass('manifest', `${basename(load.file)} matches: sha256, size, commit ${manifest.commit.slice(0, 12)}, ${manifest.files.length} files in ${top}/, abi`);
}
