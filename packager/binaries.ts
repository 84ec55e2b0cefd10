/**
 * Every native binary of the assembled release, scanned once with abi-gate and then used three
 * ways: foreign binaries (other OS, other arch, musl), the policy gate, and the manifest's `abi`.
 */
import { familyMaxima, isScanned, scanFile, type ScanEntry } from '../abi-gate/index.js';
import { ABI_FAMILIES, ABI_FAMILY_NAMES, machineOf, type ManifestCulprit, type TargetArch } from '../release/index.js';
import type { KnownScans } from './extract.js';
import type { ServerTree } from './tree.js';

/**
 * Scans every file of the tree; entries carry tree-relative paths. Files extracted from a tarball
 * were scanned while they streamed by (`known`) and are not read again.
 */
export function scanTree(tree: ServerTree, known: KnownScans = new Map()): ScanEntry[] {
  const entries: ScanEntry[] = [];
  for (const [path, node] of tree.files()) {
    const seen = known.get(node.source);
    const entry = seen === undefined ? scanFile(node.source) : seen;
    if (entry !== null) entries.push({ ...entry, path });
  }
  return entries;
}

/** Why a binary cannot run on a glibc Linux of `arch`, or null when it can (or is unreadable). */
export function foreignReason(entry: ScanEntry, arch: TargetArch): string | null {
  const machine = entry.machine ?? 'unknown';
  if (entry.format === 'macho') return `Mach-O ${machine} (macOS)`;
  if (entry.format === 'pe') return `PE ${machine} (Windows)`;
  if (entry.format !== 'elf' || !isScanned(entry)) return null;
  if (machine !== machineOf(arch)) return `ELF ${machine}, not ${machineOf(arch)}`;
  if (entry.libc === 'musl') return 'ELF linked against musl, not glibc';
  return null;
}

export interface AbiSummary {
  minGlibc: string | null;
  minGlibcxx: string | null;
  minCxxabi: string | null;
  culprits: Record<string, ManifestCulprit[]>;
}

/** Per family the highest version any file needs, and the symbols of the files that need it. */
export function abiSummary(entries: readonly ScanEntry[]): AbiSummary {
  const summary: AbiSummary = { minGlibc: null, minGlibcxx: null, minCxxabi: null, culprits: {} };
  const maxima = familyMaxima(entries, ABI_FAMILY_NAMES);
  for (const { family, key } of ABI_FAMILIES) {
    const maximum = maxima[family];
    if (maximum === undefined) continue;
    summary[key] = maximum.version;
    summary.culprits[family] = maximum.culprits;
  }
  return summary;
}
