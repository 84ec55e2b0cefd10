/**
 * Holds a tarball to the canonical release format (release/format.ts) as it streams by: one call
 * per entry from the tar reader's handler (synchronous, no allocation for a conforming entry
 * beyond its path in two sets), one at the end with the reader's result.
 */
import { readTar, type ReadTarResult, type TarEntryInfo, type TarMetaRecord } from '../abi-gate/index.js';
import {
  headerProblems,
  linkTargetProblems,
  MAX_FILE_SIZE,
  namingProblems,
  octalField,
  parseCanonicalPax,
  PAX_KEYS,
  RELEASE_MODES,
  RELEASE_TYPEFLAGS,
  nameFieldEndsWithSlash,
  isTopFolderName,
  type FormatRule,
  type FormatViolation,
} from './format.js';
import { isUtf8 } from 'node:buffer';

/** Violations kept in full; past this only counted (a hostile archive can have 200,000). */
const MAX_KEPT = 1000;

const ALLOWED_MODES: Readonly<Record<'file' | 'symlink' | 'directory', readonly number[]>> = {
  file: [RELEASE_MODES.file, RELEASE_MODES.executable],
  directory: [RELEASE_MODES.directory],
  symlink: [RELEASE_MODES.symlink, RELEASE_MODES.directory],
};

const META_NAMES: Readonly<Record<string, string>> = {
  g: 'a global pax header (g)',
  X: 'an old-style extended header (X)',
  L: 'a GNU long name record (L)',
  K: 'a GNU long link record (K)',
  N: 'an old GNU long name entry (N)',
};

export class FormatChecker {
  /** The one top folder as the first entry names it (null until then, or when it is not one). */
  top: string | null = null;
  /** Every violation up to MAX_KEPT; `count` has them all. */
  readonly violations: FormatViolation[] = [];
  count = 0;
  private entries = 0;
  private topSlash: string | null = null;
  private lastFolder: string | null = null;
  /** Every path so far (without a folder's '/'): true for folders. */
  private readonly seen = new Map<string, boolean>();

  /** Checks one entry; call it from readTar's handler, synchronously (the header is a view). */
  entry(info: TarEntryInfo): void {
    const at = info.offset;
    const path = info.path;
    this.entries++;
    if (info.meta.length > 0) this.meta(info.meta, info);
    // The reader summed the header already: it says whether the sum is the unsigned one.
    for (const problem of headerProblems(info.header, info.checksum === 'unsigned')) this.add(path, at, 'header', problem);
    const flag = info.header[156] as number;
    const type = flag === 0x30 ? 'file' : flag === 0x35 ? 'directory' : flag === 0x32 ? 'symlink' : undefined;
    if (type === undefined) {
      const typeflag = String.fromCharCode(flag);
      this.add(path, at, 'type', `typeflag ${JSON.stringify(typeflag)} is not a file (0), symlink (2) or folder (5): no hard links, devices, FIFOs or GNU types`);
      return;
    }
    this.name(info, type);
    const size = octalField(info.header, 'size');
    if (size !== undefined && type !== 'file' && size !== 0) this.add(path, at, 'size', `a ${type} with a size field of ${size} (readers differ on skipping it)`);
    if (size !== undefined && size > MAX_FILE_SIZE) this.add(path, at, 'size', `size ${size} does not fit the octal field`);
    const mode = octalField(info.header, 'mode');
    const allowed = ALLOWED_MODES[type];
    if (mode !== undefined && !allowed.includes(mode)) {
      this.add(path, at, 'mode', `mode ${mode.toString(8).padStart(4, '0')} is not ${allowed.map((m) => m.toString(8).padStart(4, '0')).join(' or ')} (nothing group/world-writable, no setuid/setgid/sticky)`);
    }
    const linkField = info.header[157] !== 0;
    if (type === 'symlink') {
      for (const problem of linkTargetProblems(info.linkpath ?? '')) this.add(path, at, 'link', problem);
    } else if (linkField) {
      this.add(path, at, 'link', 'is not a symlink but its header names a link target');
    }
  }

  /** Checks the archive as a whole once readTar returned. */
  finish(result: ReadTarResult): FormatViolation[] {
    if (!result.gzip) this.add(null, null, 'gzip', 'not gzip-compressed');
    else {
      // One member: the last one holds the whole stream (its trailer says so) and the first one
      // is not an empty one in front of it.
      if (result.gzipTrailerSize !== null && result.gzipTrailerSize !== result.tarBytes % 2 ** 32) {
        this.add(null, null, 'gzip', 'more than one gzip member (the last member does not hold the whole tar stream)');
      } else if (result.gzipFirstMemberEmpty === true) {
        this.add(null, null, 'gzip', 'more than one gzip member (an empty one first)');
      }
      if (result.gzipFlags !== 0) {
        this.add(null, null, 'gzip', 'the gzip header carries a name, comment, extra field or header CRC (gzip -n writes none)');
      }
    }
    if (result.loneZeroBlock !== null) {
      this.add(null, result.loneZeroBlock, 'end', `a lone zero block at tar offset ${result.loneZeroBlock}: GNU tar stops there, node-tar reads on`);
    }
    for (const record of result.danglingMeta) {
      this.add(null, record.offset, 'end', `an extended header (${record.typeflag}) at tar offset ${record.offset} describes no entry`);
    }
    if (this.entries === 0) this.add(null, null, 'top-folder', 'no entries');
    return this.violations;
  }

  /** The extended headers before an entry. */
  private meta(records: readonly TarMetaRecord[], info: TarEntryInfo): void {
    const path = info.path;
    for (const record of records) {
      const what = META_NAMES[record.typeflag];
      if (what !== undefined) {
        this.add(path, record.offset, 'extended-header', `${what} precedes it: a release has none (readers apply them differently)`);
      }
    }
    const paxHeaders = records.filter((r) => r.typeflag === 'x');
    if (paxHeaders.length > 1) {
      this.add(path, info.offset, 'extended-header', `${paxHeaders.length} pax headers in a row (GNU tar keeps the last, node-tar merges them)`);
    }
    const pax = paxHeaders[0];
    if (pax === undefined) return;
    for (const problem of headerProblems(pax.header)) this.add(path, pax.offset, 'header', `its pax header: ${problem}`);
    if (pax.header[157] !== 0) this.add(path, pax.offset, 'extended-header', 'its pax header names a link target');
    const parsed = parseCanonicalPax(pax.body);
    if (parsed.problem !== null) this.add(path, pax.offset, 'extended-header', `pax ${parsed.problem}`);
    if (pax.body.length === 0) this.add(path, pax.offset, 'extended-header', 'an empty pax header');
    const keys = new Set<string>();
    for (const key of parsed.keys) {
      if (!PAX_KEYS.includes(key)) this.add(path, pax.offset, 'extended-header', `pax key ${JSON.stringify(key)} is not one of ${PAX_KEYS.join(', ')}`);
      else if (keys.has(key)) this.add(path, pax.offset, 'extended-header', `pax key ${key} twice`);
      keys.add(key);
    }
    for (const [key, value] of parsed.values) {
      if (!isUtf8(value)) this.add(path, pax.offset, 'extended-header', `pax ${key} is not valid UTF-8`);
    }
    if (keys.has('linkpath') && info.header.toString('latin1', 156, 157) !== RELEASE_TYPEFLAGS.symlink) {
      this.add(path, pax.offset, 'extended-header', 'pax linkpath on an entry that is not a symlink');
    }
  }

  private name(info: TarEntryInfo, type: 'file' | 'symlink' | 'directory'): void {
    const path = info.path;
    const at = info.offset;
    for (const problem of namingProblems(path, type === 'directory')) this.add(path, at, 'name', problem);
    if (type !== 'directory' && nameFieldEndsWithSlash(info.header)) {
      this.add(path, at, 'name', "its ustar name field ends in '/' (a reader without pax takes it for a folder)");
    }
    const bare = type === 'directory' ? path.slice(0, -1) : path;
    const slash = bare.lastIndexOf('/');
    if (this.entries === 1) {
      if (type !== 'directory' || slash !== -1 || !isTopFolderName(bare)) {
        this.add(path, at, 'top-folder', 'the first entry is not the top folder <name>-<40 hex commit>-linux-<x64|arm64>/');
      } else {
        this.top = bare;
        this.topSlash = `${bare}/`;
      }
    } else if (this.topSlash === null || slash === -1 || !bare.startsWith(this.topSlash)) {
      this.add(path, at, 'top-folder', `is not inside the one top folder ${this.top ?? '<name>-<commit>-linux-<arch>'}/`);
    }
    // The parent is most often the folder entry just before (packager sorts): no lookup then.
    const last = this.lastFolder;
    const underLast = last !== null && slash === last.length && bare.startsWith(last);
    if (this.entries > 1 && slash !== -1 && !underLast && this.seen.get(bare.slice(0, slash)) !== true) {
      this.add(path, at, 'parent', `its folder ${bare.slice(0, slash)}/ is not an earlier folder entry`);
    }
    if (this.seen.has(bare)) this.add(path, at, 'duplicate', 'appears twice (the later entry replaces what was checked)');
    this.seen.set(bare, type === 'directory');
    if (type === 'directory') this.lastFolder = bare;
  }

  private add(entry: string | null, offset: number | null, rule: FormatRule, what: string): void {
    this.count++;
    if (this.violations.length >= MAX_KEPT) return;
    const where = entry === null ? 'archive' : JSON.stringify(entry);
    this.violations.push({ entry, offset, rule, message: `${where}: ${what} [${rule}]` });
  }
}

/** Reads a tarball and holds it to the release format; throws TarError when it cannot be read. */
export async function checkReleaseFormat(file: string): Promise<{ top: string | null; violations: FormatViolation[]; count: number }> {
  const checker = new FormatChecker();
  const result = await readTar(file, (info) => checker.entry(info), { label: file });
  checker.finish(result);
  return { top: checker.top, violations: checker.violations, count: checker.count };
}
