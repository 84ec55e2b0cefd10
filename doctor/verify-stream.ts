/**
 * The one read of a tarball: sha256 of the compressed bytes, gunzip, tar framing, per-file sha256,
 * format sniffing and the ELF scan, all fed from the same chunks. Nothing is written to disk;
 * only native binaries are held (as their chunk list, never concatenated) until scanned, and of an
 * ELF only the parts its scan is expected to read (abi-gate/scan-retain.ts; a wrong guess costs a
 * second pass for that binary).
 */
import { createHash, hash as oneShotHash, type Hash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import createDebug from 'debug';
import { ChunkSource, detectFormat, FORMAT_SNIFF_BYTES, scanSource } from '../abi-gate/index.js';
import { RetainedChunks } from '../abi-gate/scan-retain.js';
import { isTarError, readTar, type EntryBody, type TarEntryInfo, type TarEntryType } from '../abi-gate/tar/index.js';
import type { ScanEntry } from '../abi-gate/types.js';
import { FormatChecker } from '../release/index.js';
import { readNodeVersion } from './verify-node.js';
import { normalizePath } from './checks/tree.js';
import type { EntryFact, EntryKind, Integrity, LimitBreach, Limits, TarballFacts } from './verify-types.js';

const debug = createDebug('remote-ai:doctor:verify');

/** product.json is small; a huge one is not read into memory (the manifest check then fails). */
const MAX_PRODUCT_JSON = 4 * 1024 * 1024;

const KINDS: Record<TarEntryType, EntryKind> = {
  file: 'file',
  directory: 'directory',
  symlink: 'symlink',
  hardlink: 'hardlink',
  'char-device': 'chardev',
  'block-device': 'blockdev',
  fifo: 'fifo',
  other: 'other',
};

/** Thrown from the entry handler to stop the read at a limit; readTar aborts the stream. */
class LimitStop extends Error {
  constructor(readonly breach: LimitBreach) {
    super(`limit ${breach.kind}`);
  }
}

/** The file could not be read at all (missing, a folder, no permission): exit 2. */
export class UnreadableTarball extends Error {}

function isTopLevelFile(path: string, name: string): boolean {
  if (!path.includes(name)) return false;
  const parts = normalizePath(path).split('/');
  return parts.length === 2 && parts[1] === name;
}

/**
 * One file body as it streams by: its sha256 (one-shot when the body arrives in one piece, the
 * common case for small files), its format from the first FORMAT_SNIFF_BYTES, and its chunks
 * kept (as the inflater produced them, never copied) only once the head says it is a native
 * binary; of an ELF, only the chunks its scan is expected to read.
 */
class BodyReader {
  format: ScanEntry['format'] | null = null;
  kept: RetainedChunks | null = null;
  /** The bundled node's version, searched while its bytes stream by (see verify-node.ts). */
  nodeVersion: string | null = null;
  private hash: Hash | null = null;
  private digest: string | null = null;
  private head: Buffer[] = [];
  private headLength = 0;
  private decided = false;
  private readonly text: Buffer[] | null;
  private textLength = 0;
  private versionTail: Buffer | null = null;

  constructor(
    private readonly size: number,
    keepText: boolean,
    private readonly findNodeVersion: boolean,
    private readonly onBytes: (n: number) => void,
  ) {
    this.text = keepText ? [] : null;
  }

  readonly onChunk = (chunk: Buffer): void => {
    this.onBytes(chunk.length);
    if (this.hash === null && chunk.length === this.size) this.digest = oneShotHash('sha256', chunk, 'hex');
    else (this.hash ??= createHash('sha256')).update(chunk);
    if (this.text !== null && this.textLength + chunk.length <= MAX_PRODUCT_JSON) {
      this.text.push(chunk);
      this.textLength += chunk.length;
    }
    if (this.findNodeVersion && this.nodeVersion === null) {
      // The previous chunk's end rides along, so a string across the seam is found too.
      this.nodeVersion = readNodeVersion(this.versionTail === null ? [chunk] : [this.versionTail, chunk]);
      this.versionTail = chunk.subarray(-VERSION_SEAM);
    }
    if (this.decided) {
      this.kept?.push(chunk);
      return;
    }
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength >= FORMAT_SNIFF_BYTES) this.decide();
  };

  get sha256(): string {
    this.digest ??= this.hash === null ? oneShotHash('sha256', EMPTY, 'hex') : this.hash.digest('hex');
    return this.digest;
  }

  get textContent(): string | null {
    return this.text === null ? null : Buffer.concat(this.text).toString('utf8');
  }

  /** Called once the body ended: a file shorter than the sniff window is judged whole. */
  finish(): void {
    if (!this.decided) this.decide();
  }

  private decide(): void {
    this.decided = true;
    const head = this.head;
    const detected = detectFormat(head.length === 1 ? (head[0] as Buffer) : Buffer.concat(head, this.headLength));
    if (detected !== null) {
      this.format = detected.format;
      this.kept = new RetainedChunks(this.size, detected.format === 'elf');
      for (const piece of head) this.kept.push(piece);
    }
    this.head = [];
  }
}

const EMPTY = Buffer.alloc(0);
/** Bytes of the previous chunk searched again with the next one (verify-node.ts looks 96 bytes around a hit). */
const VERSION_SEAM = 512;

/**
 * Scans again, with every byte kept, the binaries whose first scan needed a byte the streaming
 * pass dropped (an unusual layout); their entries keep their place in `binaries`.
 */
async function rescan(file: string, missed: ReadonlyMap<number, string>, binaries: Map<string, ScanEntry>): Promise<void> {
  debug('%s: %d binaries need a second pass with every byte kept', file, missed.size);
  await readTar(file, (info, body) => {
    const path = missed.get(info.offset);
    if (path === undefined) return undefined;
    const chunks: Buffer[] = [];
    return body.forEach((chunk) => chunks.push(chunk)).then(() => {
      const scanned = scanSource(new ChunkSource(chunks), path);
      if (scanned !== null) binaries.set(path, scanned);
    });
  }, { requireGzip: true, label: file });
}

function integrityOf(error: unknown): Extract<Integrity, { ok: false }> | null {
  if (!isTarError(error)) return null;
  switch (error.kind) {
    case 'not-gzip':
      return { ok: false, reason: 'not-gzip', message: `${error.message}: a release is a gzip'd tar` };
    case 'truncated':
      return { ok: false, reason: 'truncated', message: `${error.message}: the file is incomplete; download or build it again` };
    case 'trailing-garbage':
      return { ok: false, reason: 'trailing-data', message: `${error.message}: bytes after the archive are not part of it; rebuild` };
    case 'gzip-corrupt':
      return { ok: false, reason: 'corrupt', message: error.message };
    case 'bad-header':
      return { ok: false, reason: 'tar', message: error.message };
    default:
      return null;
  }
}

export async function readTarballFacts(file: string, limits: Limits): Promise<TarballFacts> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new UnreadableTarball(`${file}: not a regular file`);
    size = info.size;
  } catch (error) {
    if (error instanceof UnreadableTarball) throw error;
    throw new UnreadableTarball(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'}): check the path`);
  }

  const facts: TarballFacts = {
    file,
    compressedSize: size,
    compressedSha256: null,
    decompressedBytes: 0,
    integrity: { ok: true },
    complete: false,
    stopped: null,
    entries: [],
    globalPaxKeys: [],
    binaries: new Map(),
    productJson: null,
    nodeVersion: null,
    format: { top: null, violations: [], count: 0 },
  };
  const formatChecker = new FormatChecker();
  const fileHash = createHash('sha256');
  let rawBytes = 0;
  let tarEnd = 0;
  /** Uncompressed bytes handed to the checks so far: what a stopped read really inflated. */
  let seen = 0;
  const countSeen = (n: number): void => {
    seen += n;
  };
  // Most entries share one (empty) pax record set: list its keys once.
  let lastPax: Record<string, string> | null = null;
  let lastPaxKeys: string[] = [];
  let lastGlobalPax: Record<string, string> | null = null;
  /** Binaries whose scan needed bytes that were not kept: tar offset -> path. */
  const missed = new Map<number, string>();

  // Synchronous for entries without a body to read: no promise per directory or link.
  const onEntry = (info: TarEntryInfo, body: EntryBody): Promise<void> | undefined => {
    tarEnd = info.offset + 512 + Math.ceil(info.size / 512) * 512;
    seen = info.offset + 512;
    formatChecker.entry(info);
    if (facts.entries.length >= limits.maxEntries) {
      throw new LimitStop({ kind: 'entries', limit: limits.maxEntries, value: facts.entries.length + 1, entry: info.path });
    }
    if (info.size > limits.maxEntry) {
      throw new LimitStop({ kind: 'entry', limit: limits.maxEntry, value: info.size, entry: info.path });
    }
    if (tarEnd > limits.maxTotal) {
      throw new LimitStop({ kind: 'total', limit: limits.maxTotal, value: tarEnd, entry: info.path, declared: true });
    }
    if (facts.globalPaxKeys.length === 0 && info.globalPax !== lastGlobalPax) {
      lastGlobalPax = info.globalPax;
      facts.globalPaxKeys = Object.keys(info.globalPax);
    }
    const fact: EntryFact = {
      path: info.path,
      kind: KINDS[info.type],
      mode: info.mode,
      size: info.size,
      linkpath: info.linkpath,
      sha256: null,
      paxKeys: info.pax === lastPax ? lastPaxKeys : Object.keys(info.pax),
      format: null,
    };
    lastPax = info.pax;
    lastPaxKeys = fact.paxKeys;
    facts.entries.push(fact);
    if (info.type !== 'file') return undefined;

    const isProduct = isTopLevelFile(info.path, 'product.json');
    const isNode = isTopLevelFile(info.path, 'node');
    const reader = new BodyReader(info.size, isProduct, isNode, countSeen);
    return body.forEach(reader.onChunk).then(() => {
      reader.finish();
      fact.sha256 = reader.sha256;
      fact.format = reader.format;
      if (isProduct) facts.productJson = reader.textContent;
      if (reader.kept === null) return;
      if (isNode) facts.nodeVersion = reader.nodeVersion;
      const source = reader.kept.source();
      // scanSource reports malformed files as entries with `error`; null only for non-binaries.
      const scanned = scanSource(source, info.path);
      if (source.missed) missed.set(info.offset, info.path);
      if (scanned !== null) facts.binaries.set(info.path, scanned);
    });
  };

  try {
    const result = await readTar(file, onEntry, {
      requireGzip: true,
      label: file,
      // A backstop for bytes after the last entry (zeros after the end blocks): entries are
      // stopped earlier, from their headers, by onEntry.
      limits: { maxTarBytes: limits.maxTotal, maxEntries: limits.maxEntries + 1 },
      onRawChunk: (chunk) => {
        fileHash.update(chunk);
        rawBytes += chunk.length;
      },
    });
    if (missed.size > 0) await rescan(file, missed, facts.binaries);
    facts.decompressedBytes = result.tarBytes;
    formatChecker.finish(result);
    facts.complete = result.eof;
    if (!result.eof) {
      facts.integrity = { ok: false, reason: 'truncated', message: `${file}: the tar stream ends without its end-of-archive blocks: the archive is incomplete` };
    }
  } catch (error) {
    debug('%s: read stopped: %o', file, error);
    facts.decompressedBytes = seen;
    if (error instanceof LimitStop) {
      facts.stopped = error.breach;
    } else if (isTarError(error) && error.kind === 'limit') {
      facts.stopped = { kind: 'total', limit: limits.maxTotal, value: limits.maxTotal, entry: facts.entries.at(-1)?.path ?? null, message: error.message };
    } else if (isTarError(error) && error.kind === 'missing') {
      throw new UnreadableTarball(error.message);
    } else {
      const integrity = integrityOf(error);
      if (integrity === null) throw error;
      facts.integrity = integrity;
      // Bytes after the end of the archive: every entry was read, the other checks can judge.
      facts.complete = integrity.reason === 'trailing-data';
    }
  }
  if (rawBytes === size) facts.compressedSha256 = fileHash.digest('hex');
  facts.format = { top: formatChecker.top, violations: formatChecker.violations, count: formatChecker.count };
  return facts;
}
