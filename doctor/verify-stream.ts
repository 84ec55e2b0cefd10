/**
 * The one read of a tarball: sha256 of the compressed bytes, gunzip, tar framing, per-file sha256,
 * and abi-gate's binary collector (format sniffing, the ELF scan from kept chunks), all fed from
 * the same chunks. Nothing is written to disk. doctor's own per-chunk work (hashes, product.json,
 * node's version) plugs into the collector as a hook.
 */
import { createHash, hash as oneShotHash, type Hash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import createDebug from 'debug';
import { bodyOffset, entryEndOffset, isTarError, TarBinaryCollector, ToolError, type ChunkObserver, type TarEntryInfo, type TarEntryType } from '../abi-gate/index.js';
import { dropTopFolder, FormatChecker, NodeVersionFinder, type EntryKind } from '../release/index.js';
import type { EntryFact, Integrity, LimitBreach, Limits, TarballFacts } from './verify-types.js';

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

/**
 * Thrown from the entry hook to stop the read at a limit; readTar aborts the stream. Internal
 * control flow, never seen outside this file: the breach becomes a fact, not an error.
 */
class LimitStop extends Error {
  constructor(readonly breach: LimitBreach) {
    super(`limit ${breach.kind}`);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * doctor's view of one file body as it streams by: its sha256 (one-shot when the body arrives in
 * one piece, the common case for small files), product.json's text, node's version.
 */
class FileObserver implements ChunkObserver {
  private hash: Hash | null = null;
  private digest: string | null = null;
  private readonly text: Buffer[] | null;
  private textLength = 0;
  private readonly node: NodeVersionFinder | null;

  constructor(
    private readonly fact: EntryFact,
    role: 'product' | 'node' | null,
    private readonly facts: TarballFacts,
    private readonly onBytes: (n: number) => void,
  ) {
    this.text = role === 'product' ? [] : null;
    this.node = role === 'node' ? new NodeVersionFinder() : null;
  }

  onChunk(chunk: Buffer): void {
    this.onBytes(chunk.length);
    if (this.hash === null && chunk.length === this.fact.size) this.digest = oneShotHash('sha256', chunk, 'hex');
    else (this.hash ??= createHash('sha256')).update(chunk);
    if (this.text !== null && this.textLength + chunk.length <= MAX_PRODUCT_JSON) {
      this.text.push(chunk);
      this.textLength += chunk.length;
    }
    this.node?.push(chunk);
  }

  onEnd(format: EntryFact['format']): void {
    this.fact.sha256 = this.digest ?? (this.hash === null ? oneShotHash('sha256', EMPTY, 'hex') : this.hash.digest('hex'));
    this.fact.format = format;
    if (this.text !== null) this.facts.productJson = Buffer.concat(this.text).toString('utf8');
    // Only a binary is node; a text file named node says nothing about the bundled version.
    if (this.node !== null && format !== null) this.facts.nodeVersion = this.node.version;
  }
}

/** The size of the file, or ToolError TARBALL_UNREADABLE: no facts can be gathered at all. */
async function tarballSize(file: string): Promise<number> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    throw new ToolError('TARBALL_UNREADABLE', `${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'}): check the path`);
  }
  if (!info.isFile()) throw new ToolError('TARBALL_UNREADABLE', `${file}: not a regular file`);
  return info.size;
}

function emptyFacts(file: string, size: number): TarballFacts {
  return {
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
}

/**
 * Entry by entry: the limits (from the header, before a body is inflated), the entry's fact, and
 * an observer for a file's body. `seen` is what the read really inflated so far.
 */
class EntryFacts {
  seen = 0;
  // Most entries share one (empty) pax record set: list its keys once.
  private lastPax: Record<string, string> | null = null;
  private lastPaxKeys: string[] = [];
  private lastGlobalPax: Record<string, string> | null = null;

  /** The release format's rules, applied as the entries stream by (release/format-check.ts). */
  readonly format = new FormatChecker();

  constructor(
    private readonly facts: TarballFacts,
    private readonly limits: Limits,
  ) {}

  readonly countSeen = (n: number): void => {
    this.seen += n;
  };

  readonly onEntry = (info: TarEntryInfo): ChunkObserver | undefined => {
    const { facts } = this;
    this.seen = bodyOffset(info);
    this.format.entry(info);
    this.checkLimits(info);
    if (facts.globalPaxKeys.length === 0 && info.globalPax !== this.lastGlobalPax) {
      this.lastGlobalPax = info.globalPax;
      facts.globalPaxKeys = Object.keys(info.globalPax);
    }
    const fact: EntryFact = {
      path: info.path,
      kind: KINDS[info.type],
      mode: info.mode,
      size: info.size,
      linkpath: info.linkpath,
      sha256: null,
      paxKeys: info.pax === this.lastPax ? this.lastPaxKeys : Object.keys(info.pax),
      format: null,
    };
    this.lastPax = info.pax;
    this.lastPaxKeys = fact.paxKeys;
    facts.entries.push(fact);
    if (info.type !== 'file') return undefined;
    // Only `<top>/product.json` and `<top>/node` have a role; most paths end otherwise.
    const below = info.path.endsWith('product.json') || info.path.endsWith('node') ? dropTopFolder(info.path) : null;
    const role = below === 'product.json' ? 'product' : below === 'node' ? 'node' : null;
    return new FileObserver(fact, role, facts, this.countSeen);
  };

  private checkLimits(info: TarEntryInfo): void {
    const { facts, limits } = this;
    const tarEnd = entryEndOffset(info);
    if (facts.entries.length >= limits.maxEntries) {
      throw new LimitStop({ kind: 'entries', limit: limits.maxEntries, value: facts.entries.length + 1, entry: info.path });
    }
    if (info.size > limits.maxEntry) throw new LimitStop({ kind: 'entry', limit: limits.maxEntry, value: info.size, entry: info.path });
    if (tarEnd > limits.maxTotal) throw new LimitStop({ kind: 'total', limit: limits.maxTotal, value: tarEnd, entry: info.path, declared: true });
  }
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

/** A read that stopped early: a limit is a fact (see limits), a broken archive an integrity finding. */
function recordStop(facts: TarballFacts, error: unknown, limits: Limits): void {
  if (error instanceof LimitStop) {
    facts.stopped = error.breach;
  } else if (isTarError(error) && error.kind === 'limit') {
    facts.stopped = { kind: 'total', limit: limits.maxTotal, value: limits.maxTotal, entry: facts.entries.at(-1)?.path ?? null, message: error.message };
  } else if (isTarError(error) && error.kind === 'missing') {
    throw new ToolError('TARBALL_UNREADABLE', error.message);
  } else {
    const integrity = integrityOf(error);
    if (integrity === null) throw error;
    facts.integrity = integrity;
    // Bytes after the end of the archive: every entry was read, the other checks can judge.
    facts.complete = integrity.reason === 'trailing-data';
  }
}

/**
 * Every fact doctor's checks judge, from one read of `file`. Throws ToolError TARBALL_UNREADABLE
 * when the file cannot be opened; anything wrong inside it is a fact. `onTarChunk` sees the plain
 * tar stream of the same read, with backpressure (a boot feeds it to the container's tar).
 */
export async function readTarballFacts(file: string, limits: Limits, onTarChunk?: (chunk: Buffer) => Promise<void> | undefined): Promise<TarballFacts> {
  const size = await tarballSize(file);
  const facts = emptyFacts(file, size);
  const entries = new EntryFacts(facts, limits);
  const collector = new TarBinaryCollector(file, {
    requireGzip: true,
    label: file,
    // A backstop for bytes after the last entry (zeros after the end blocks): entries are
    // stopped earlier, from their headers, by the entry hook.
    limits: { maxTarBytes: limits.maxTotal, maxEntries: limits.maxEntries + 1 },
    // The file's own sha256, from whichever thread reads it, once every byte was read.
    onRawHashed: (sha256, bytes) => {
      if (bytes === size) facts.compressedSha256 = sha256;
    },
    hooks: { entry: entries.onEntry },
    ...(onTarChunk === undefined ? {} : { onTarChunk }),
  });
  try {
    const result = await collector.collect();
    facts.decompressedBytes = result.tarBytes;
    entries.format.finish(result);
    facts.complete = result.eof;
    if (!result.eof) {
      facts.integrity = { ok: false, reason: 'truncated', message: `${file}: the tar stream ends without its end-of-archive blocks: the archive is incomplete` };
    }
  } catch (error) {
    debug('%s: read stopped: %o', file, error);
    facts.decompressedBytes = entries.seen;
    recordStop(facts, error, limits);
  }
  for (const scan of collector.binaries()) facts.binaries.set(scan.path, scan);
  facts.format = { top: entries.format.top, violations: entries.format.violations, count: entries.format.count };
  return facts;
}
