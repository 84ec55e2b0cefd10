import { cxxfilt, demangleText, fixHints, hintLines, readable, visible, type Demangled, type Demangler } from '../abi-gate/index.js';
import type { AbiDiff, DiffReport } from './diff.js';
import { formatBytes } from './checks/tree.js';

export interface DiffHumanOptions {
  /** Default: the c++filt on PATH, one call per diff. */
  demangler?: Demangler;
}

const LABEL: Record<AbiDiff['family'], string> = { GLIBC: 'min glibc', GLIBCXX: 'min GLIBCXX (libstdc++)', CXXABI: 'min CXXABI' };

/** Culprit files with their symbols, a few of each: `node (fcntl64), lib/x.so (memfd_create)`. */
function culpritText(abi: AbiDiff, names: Demangled): string {
  const shown = abi.culprits.slice(0, 5).map((c) => {
    const named = c.symbols.slice(0, 4).map((s) => visible(readable(s, names)));
    const symbols = c.symbols.length === 0 ? '' : ` (${named.join(', ')}${c.symbols.length > 4 ? ', ...' : ''})`;
    return `${visible(c.path)}${symbols}`;
  });
  if (abi.culprits.length > 5) shown.push(`and ${abi.culprits.length - 5} more files`);
  return shown.length === 0 ? '' : `: ${shown.join(', ')}`;
}

export function abiLine(abi: AbiDiff, names: Demangled = new Map()): string {
  const label = LABEL[abi.family];
  const old = visible(abi.old ?? 'none');
  const now = visible(abi.new ?? 'none');
  switch (abi.change) {
    case 'same':
      return `${label} unchanged at ${now}`;
    case 'rose':
      return `${label} rose from ${old} to ${now}${culpritText(abi, names)}`;
    case 'fell':
      return `${label} fell from ${old} to ${now} (was held by${culpritText(abi, names).slice(1)})`;
    case 'added':
      return `${label} is now required: ${now}${culpritText(abi, names)}`;
    case 'removed':
      return `${label} no longer required (was ${old})`;
  }
}

const MAX_FILES = 50;

function fileLines(title: string, lines: string[]): string[] {
  if (lines.length === 0) return [`${title}: none`];
  const head = lines.slice(0, MAX_FILES).map((l) => `  ${l}`); // callers made each line visible
  if (lines.length > MAX_FILES) head.push(`  ... and ${lines.length - MAX_FILES} more (--json lists all)`);
  return [`${title} (${lines.length}):`, ...head];
}

function signed(bytes: number): string {
  return `${bytes >= 0 ? '+' : '-'}${formatBytes(Math.abs(bytes))}`;
}

/** Hints for the culprits of families that rose or appeared (the version is the family's new minimum). */
function diffHints(report: DiffReport, names: Demangled): string[] {
  const culprits = report.abi
    .filter((abi) => (abi.change === 'rose' || abi.change === 'added') && abi.new !== null)
    .flatMap((abi) =>
      abi.culprits.flatMap((c) => c.symbols.map((symbol) => ({ symbol, version: `${abi.family}_${abi.new ?? ''}`, library: '' }))),
    );
  return hintLines(fixHints(culprits), (c) => demangleText(c, names)).map((line) => `  ${visible(line)}`);
}

export function renderDiffHuman(report: DiffReport, options: DiffHumanOptions = {}): string {
  const names = (options.demangler ?? cxxfilt()).demangle(report.abi.flatMap((abi) => abi.culprits.flatMap((c) => c.symbols)));
  const lines = [`${visible(report.old.source)} -> ${visible(report.new.source)}`];
  if (report.old.commit !== report.new.commit) lines.push(`commit ${visible(report.old.commit ?? '?')} -> ${visible(report.new.commit ?? '?')}`);
  for (const abi of report.abi) lines.push(abiLine(abi, names));
  for (const change of report.hostCheck) lines.push(visible(change.message));
  lines.push(...diffHints(report, names));
  const { node } = report;
  const nodeText = (n: DiffReport['node']['old']): string =>
    n === null ? 'unknown' : `${visible(n.version)} (NODE_MODULE_VERSION ${n.moduleVersion ?? '?'})`;
  lines.push(node.versionChanged || node.moduleVersionChanged ? `node ${nodeText(node.old)} -> ${nodeText(node.new)}` : `node unchanged: ${nodeText(node.new)}`);
  if (node.moduleVersionChanged && node.old !== null && node.new !== null) {
    lines.push('  NODE_MODULE_VERSION changed: every ABI-specific .node must be rebuilt for the new node');
  }
  lines.push(...fileLines('added', report.files.added.map((f) => `${visible(f.path)} (${formatBytes(f.size)})`)));
  lines.push(...fileLines('removed', report.files.removed.map((f) => `${visible(f.path)} (${formatBytes(f.size)})`)));
  lines.push(
    ...fileLines(
      'changed',
      report.files.changed.map((f) => `${visible(f.path)} (${formatBytes(f.oldSize)} -> ${formatBytes(f.newSize)}, ${signed(f.newSize - f.oldSize)})`),
    ),
  );
  return lines.join('\n') + '\n';
}
