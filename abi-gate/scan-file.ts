import { DF_1_PIE } from './elf/constants.js';
import { BufferSource, ChunkSource, FileSource } from './elf/byte-source.js';
import { type ElfInfo, readElf } from './elf/elf-file.js';
import { loaderRefusals } from './elf/loadability.js';
import { isToolError, MalformedElfError } from './errors.js';
import { type DetectedFormat, detectFormat, FORMAT_SNIFF_BYTES } from './format.js';
import { requirementsOf } from './requirements.js';
import type { ByteSource, Libc, LoaderRefusal, NodeAddonInfo, ScanEntry, ScannedFile } from './types.js';

/**
 * One file in, one ScanEntry out. A native binary that cannot be read gives an entry with
 * `error` (one line, `malformed ELF: ...`), never an exception: a scan of a whole release goes
 * on past a hostile file.
 *
 * `null` means "not a native binary" (not ELF, Mach-O or PE): the caller ignores such files.
 */

function classifyLibc(info: ElfInfo, refusals: readonly LoaderRefusal[]): Libc {
  // A refused file whose dynamic table was not read (or is hidden from the loader) is no static
  // binary: which libc it wanted is unknown, and it does not load (its refusal says why).
  if (!info.hasDynamic && refusals.some((r) => r.since === undefined)) return 'none';
  if (!info.hasDynamic) return 'static';
  if ((info.interpreter !== null && /ld-musl-/.test(info.interpreter)) || info.needed.some(isMuslLibc)) return 'musl';
  const glibcNeeded = info.needed.some((n) => n === 'libc.so.6' || n.startsWith('ld-linux'));
  const glibcInterp = info.interpreter !== null && /\/ld-linux[-.]|\/ld64\.so|\/ld\.so\.1$/.test(info.interpreter);
  if (glibcNeeded || glibcInterp || info.versionNeeds.some((n) => n.version.startsWith('GLIBC_'))) return 'glibc';
  // A static PIE has a dynamic table (for its own relocations) but no interpreter and no NEEDED.
  if (info.interpreter === null && info.needed.length === 0 && (info.flags1 & DF_1_PIE) !== 0) return 'static';
  return 'none';
}

/** Alpine names its libc `libc.musl-<arch>.so.1`; musl built elsewhere (Debian's musl-tools) is plain `libc.so`, a name glibc only uses for a linker script. */
function isMuslLibc(needed: string): boolean {
  return needed.startsWith('libc.musl-') || needed === 'libc.so';
}

/**
 * What kind of Node addon the dynamic symbols say this is. Addons made with NODE_MODULE_INIT or
 * NAPI_MODULE_INIT export their entry point; the classic NODE_MODULE macro (and NAPI_MODULE
 * before node 10) export nothing and call node_module_register / napi_module_register from a
 * constructor instead. The NODE_MODULE_VERSION of a classic one sits in its static node_module
 * struct (nm_version), which only relocations point at: it is not read, so moduleVersion stays
 * null, and doctor's node-abi check fails such an addon as undeterminable.
 */
function nodeInfo(exports: readonly string[], imports: readonly string[]): NodeAddonInfo | null {
  const napiExport = exports.some((e) => e === 'napi_register_module_v1' || e === 'node_api_module_get_api_version_v1');
  let moduleVersion: number | null = null;
  for (const e of exports) {
    const m = /^node_register_module_v(\d+)$/.exec(e);
    if (m !== null) moduleVersion = Math.max(moduleVersion ?? 0, Number(m[1]));
  }
  if (napiExport || moduleVersion !== null) return { napi: napiExport, moduleVersion, registration: 'export' };
  if (imports.includes('napi_module_register')) return { napi: true, moduleVersion: null, registration: 'napi_module_register' };
  if (imports.includes('node_module_register')) return { napi: false, moduleVersion: null, registration: 'node_module_register' };
  return null;
}

function elfEntry(path: string, info: ElfInfo, size: number, bytesRead: number): ScannedFile {
  const { requires, culprits } = requirementsOf(info.versionNeeds, info.symbolRefs);
  const refusals = loaderRefusals(info.load, path);
  return {
    path,
    format: 'elf',
    machine: info.header.machine,
    class: info.header.class,
    endian: info.header.endian,
    libc: classifyLibc(info, refusals),
    elfType: info.header.elfType,
    requires,
    culprits,
    needed: info.needed,
    soname: info.soname,
    rpath: info.rpath,
    runpath: info.runpath,
    interpreter: info.interpreter,
    versionNeeds: info.versionNeeds,
    versionDefs: info.versionDefs.filter((d) => !d.base).map((d) => d.name),
    sectionHeaders: info.sectionHeaders,
    node: nodeInfo(info.nodeExports, info.nodeImports),
    minKernel: info.minKernel,
    size,
    bytesRead,
    refusals,
  };
}

function foreignEntry(path: string, detected: DetectedFormat, size: number, bytesRead: number): ScannedFile {
  const entry: ScannedFile = {
    path,
    format: detected.format,
    machine: detected.machine ?? 'unknown',
    class: detected.class ?? null,
    endian: detected.endian ?? null,
    libc: 'none',
    elfType: null,
    requires: {},
    culprits: [],
    needed: [],
    soname: null,
    rpath: [],
    runpath: [],
    interpreter: null,
    versionNeeds: [],
    versionDefs: [],
    sectionHeaders: false,
    node: null,
    minKernel: null,
    size,
    bytesRead,
    refusals: [],
  };
  if (detected.slices !== undefined) entry.slices = detected.slices;
  return entry;
}

function message(error: unknown): string {
  if (error instanceof MalformedElfError) return error.message;
  // Anything else escaping the reader is a bug in it; the file is still reported, not fatal.
  const text = isToolError(error) || error instanceof Error ? error.message : String(error);
  return `malformed ELF: ${text}`;
}

/** Scans one binary from any byte source. Returns null for a file that is no native binary. */
export function scanSource(source: ByteSource, path: string): ScanEntry | null {
  const start = source.bytesRead;
  let head: Buffer;
  try {
    head = source.read(0, Math.min(source.size, FORMAT_SNIFF_BYTES));
  } catch (error) {
    return { path, format: null, error: `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}` };
  }
  const detected = detectFormat(head);
  if (detected === null) return null;
  if (detected.format !== 'elf') return foreignEntry(path, detected, source.size, source.bytesRead - start);
  try {
    const info = readElf(source, head);
    return elfEntry(path, info, source.size, source.bytesRead - start);
  } catch (error) {
    return { path, format: 'elf', error: message(error), size: source.size, bytesRead: source.bytesRead - start };
  }
}

/** Scans a file on disk, reading only the ranges it needs. An unreadable file is an error entry. */
export function scanFile(path: string): ScanEntry | null {
  let source: FileSource;
  try {
    source = FileSource.open(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { path, format: null, error: `cannot read ${path}: ${code ?? (error instanceof Error ? error.message : String(error))}` };
  }
  try {
    return scanSource(source, path);
  } finally {
    source.close();
  }
}

/** Scans bytes already in memory: one Buffer, or the chunks of a tar entry as they arrived. */
export function scanBuffer(data: Buffer | readonly Buffer[], path: string): ScanEntry | null {
  return scanSource(Buffer.isBuffer(data) ? new BufferSource(data) : new ChunkSource(data), path);
}
