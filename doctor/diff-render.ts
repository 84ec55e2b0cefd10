import type { AbiDiff, DiffReport } from './diff.js';
import { formatBytes } from './checks/tree.js';

const LABEL: Record<AbiDiff['family'], string> = { GLIBC: 'min glibc', GLIBCXX: 'min GLIBCXX (libstdc++)', CXXABI: 'min CXXABI' };

/** Culprit files with their symbols, a few of each: `node (fcntl64), lib/x.so (memfd_create)`. */
function culpritText(abi: AbiDiff): string {
  const shown = abi.culprits.slice(0, 5).map((c) => {
    const symbols = c.symbols.length === 0 ? '' : ` (${c.symbols.slice(0, 4).join(', ')}${c.symbols.length > 4 ? ', ...' : ''})`;
    return `${c.path}${symbols}`;
  });
  if (abi.culprits.length > 5) shown.push(`and ${abi.culprits.length - 5} more files`);
  return shown.length === 0 ? '' : `: ${shown.join(', ')}`;
}

export function abiLine(abi: AbiDiff): string {
  const label = LABEL[abi.family];
  switch (abi.change) {
    case 'same':
      return `${label} unchanged at ${abi.new ?? 'none'}`;
    case 'rose':
      return `${label} rose from ${abi.old ?? 'none'} to ${abi.new ?? 'none'}${culpritText(abi)}`;
    case 'fell':
      return `${label} fell from ${abi.old ?? 'none'} to ${abi.new ?? 'none'} (was held by${culpritText(abi).slice(1)})`;
    case 'added':
      return `${label} is now required: ${abi.new ?? 'none'}${culpritText(abi)}`;
    case 'removed':
      return `${label} no longer required (was ${abi.old ?? 'none'})`;
  }
}

const MAX_FILES = 50;

function fileLines(title: string, lines: string[]): string[] {
  if (lines.length === 0) return [`${title}: none`];
  const head = lines.slice(0, MAX_FILES).map((l) => `  ${l}`);
  if (lines.length > MAX_FILES) head.push(`  ... and ${lines.length - MAX_FILES} more (--json lists all)`);
  return [`${title} (${lines.length}):`, ...head];
}

function signed(bytes: number): string {
  return `${bytes >= 0 ? '+' : '-'}${formatBytes(Math.abs(bytes))}`;
}

export function renderDiffHuman(report: DiffReport): string {
  const lines = [`${report.old.source} -> ${report.new.source}`];
  if (report.old.commit !== report.new.commit) lines.push(`commit ${report.old.commit ?? '?'} -> ${report.new.commit ?? '?'}`);
  for (const abi of report.abi) lines.push(abiLine(abi));
  const { node } = report;
  const nodeText = (n: DiffReport['node']['old']): string =>
    n === null ? 'unknown' : `${n.version} (NODE_MODULE_VERSION ${n.moduleVersion ?? '?'})`;
  lines.push(node.versionChanged || node.moduleVersionChanged ? `node ${nodeText(node.old)} -> ${nodeText(node.new)}` : `node unchanged: ${nodeText(node.new)}`);
  if (node.moduleVersionChanged && node.old !== null && node.new !== null) {
    lines.push('  NODE_MODULE_VERSION changed: every ABI-specific .node must be rebuilt for the new node');
  }
  lines.push(...fileLines('added', report.files.added.map((f) => `${f.path} (${formatBytes(f.size)})`)));
  lines.push(...fileLines('removed', report.files.removed.map((f) => `${f.path} (${formatBytes(f.size)})`)));
  lines.push(
    ...fileLines(
      'changed',
      report.files.changed.map((f) => `${f.path} (${formatBytes(f.oldSize)} -> ${formatBytes(f.newSize)}, ${signed(f.newSize - f.oldSize)})`),
    ),
  );
  return lines.join('\n') + '\n';
}
