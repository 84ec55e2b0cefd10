/**
 * The host check a test tarball needs to pass `requirements`: generated from the ELF files among
 * its raw entries, as packager generates it, so a test fails only the check it is about.
 */
import { isScanned, scanBuffer, type ScanEntry } from '../../abi-gate/index.js';
import { CHECK_SCRIPT_PATH, checkRequirementsScript, hostRequirements } from '../../release/index.js';

/** The parts of hostile-tarballs' RawEntry read here (not imported: that module imports this one). */
interface RawFile {
  path: string;
  type?: string;
  content?: Buffer | string;
}

export interface ScriptEntry {
  path: string;
  mode: number;
  content: string;
}

/** The generated script for `entries` (one top folder `top`), as the raw entry packager would write. */
export function hostCheckEntry(entries: readonly RawFile[], top: string, machine = 'x86_64'): ScriptEntry {
  const prefix = `${top}/`;
  const files = entries.filter((e) => (e.type ?? 'file') === 'file' && e.path.startsWith(prefix));
  const scans: ScanEntry[] = [];
  for (const file of files) {
    const content = typeof file.content === 'string' ? Buffer.from(file.content) : file.content ?? Buffer.alloc(0);
    const scan = content.length === 0 ? null : scanBuffer(content, file.path.slice(prefix.length));
    if (scan !== null && isScanned(scan)) scans.push(scan);
  }
  const paths = new Set(entries.filter((e) => e.path.startsWith(prefix)).map((e) => e.path.slice(prefix.length).replace(/\/$/, '')));
  const script = checkRequirementsScript(hostRequirements(scans, { has: (p) => paths.has(p) }, machine));
  return { path: `${prefix}${CHECK_SCRIPT_PATH}`, mode: 0o755, content: script };
}

/**
 * `entries` with the host check generated again for their binaries, in its place; a list without
 * one (a test of its absence) stays without.
 */
export function withHostCheck<T extends RawFile>(entries: readonly T[], top: string): (T | ScriptEntry)[] {
  const path = `${top}/${CHECK_SCRIPT_PATH}`;
  const rest = entries.filter((e) => e.path !== path);
  if (rest.length === entries.length) return [...entries];
  const fresh = hostCheckEntry(rest, top);
  return entries.map((e) => (e.path === path ? { ...e, content: fresh.content } : e));
}
