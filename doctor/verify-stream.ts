/**
 * The one read of a tarball: sha256 of the compressed bytes, gunzip, tar framing, per-file sha256,
 * format sniffing and the ELF scan, all fed from the same chunks. Nothing is written to disk;
 * only native binaries are held (as their chunk list, never concatenated) until scanned.
 */
import { createHash, type Hash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import createDebug from 'debug';
import { ChunkSource, detectFormat, FORMAT_SNIFF_BYTES, scanSource } from '../abi-gate/index.js';
import { isTarError, readTar, type EntryBody, type TarEntryInfo, type TarEntryType } from '../abi-gate/tar/index.js';
import type { ScanEntry } from '../abi-gate/types.js';
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
  const parts = normalizePath(path).split('/');
  return parts.length === 2 && parts[1] === name;
}

interface BodyResult {
  sha256: string;
  format: ScanEntry['format'] | null;
  chunks: Buffer[] | null;
  text: string | null;
}

/** Reads one file body: hash always, keep chunks only once the head says it is a native binary. */
async function readBody(body: EntryBody, keepText: boolean, onBytes: (n: number) => void): Promise<BodyResult> {
  const hash: Hash = createHash('sha256');
  let head: Buffer[] = [];
  let headLength = 0;
  let decided = false;
  let chunks: Buffer[] | null = null;
  let format: BodyResult['format'] = null;
  const text: Buffer[] | null = keepText ? [] : null;
  let textLength = 0;

  const decide = (): void => {
    decided = true;
    const detected = detectFormat(head.length === 1 ? (head[0] as Buffer) : Buffer.concat(head, headLength));
    if (detected !== null) {
      format = detected.format;
      chunks = head;
    }
    head = [];
  };

  await body.forEach((chunk) => {
    onBytes(chunk.length);
    hash.update(chunk);
    if (text !== null && textLength + chunk.length <= MAX_PRODUCT_JSON) {
      text.push(chunk);
      textLength += chunk.length;
    }
    if (decided) {
      chunks?.push(chunk);
      return;
    }
    head.push(chunk);
    headLength += chunk.length;
    if (headLength >= FORMAT_SNIFF_BYTES) decide();
  });
  if (!decided) decide();
  return {
    sha256: hash.digest('hex'),
    format,
    chunks,
    text: text === null ? null : Buffer.concat(text).toString('utf8'),
  };
}

/** scanSource reports malformed files as entries with `error`; it returns null only for non-binaries. */
function scan(path: string, chunks: Buffer[]): ScanEntry | null {
  return scanSource(new ChunkSource(chunks), path);
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
  };
  const fileHash = createHash('sha256');
  let rawBytes = 0;
  let tarEnd = 0;
  /** Uncompressed bytes handed to the checks so far: what a stopped read really inflated. */
  let seen = 0;

  const onEntry = async (info: TarEntryInfo, body: EntryBody): Promise<void> => {
    tarEnd = info.offset + 512 + Math.ceil(info.size / 512) * 512;
    seen = info.offset + 512;
    if (facts.entries.length >= limits.maxEntries) {
      throw new LimitStop({ kind: 'entries', limit: limits.maxEntries, value: facts.entries.length + 1, entry: info.path });
    }
    if (info.size > limits.maxEntry) {
      throw new LimitStop({ kind: 'entry', limit: limits.maxEntry, value: info.size, entry: info.path });
    }
    if (tarEnd > limits.maxTotal) {
      throw new LimitStop({ kind: 'total', limit: limits.maxTotal, value: tarEnd, entry: info.path, declared: true });
    }
    if (facts.globalPaxKeys.length === 0 && Object.keys(info.globalPax).length > 0) facts.globalPaxKeys = Object.keys(info.globalPax);
    const fact: EntryFact = {
      path: info.path,
      kind: KINDS[info.type],
      mode: info.mode,
      size: info.size,
      linkpath: info.linkpath,
      sha256: null,
      paxKeys: Object.keys(info.pax),
      format: null,
    };
    facts.entries.push(fact);
    if (info.type !== 'file') return;

    const isProduct = isTopLevelFile(info.path, 'product.json');
    const result = await readBody(body, isProduct, (n) => {
      seen += n;
    });
    fact.sha256 = result.sha256;
    fact.format = result.format;
    if (isProduct) facts.productJson = result.text;
    if (result.chunks === null) return;
    const scanned = scan(info.path, result.chunks);
    if (scanned !== null) facts.binaries.set(info.path, scanned);
    if (isTopLevelFile(info.path, 'node')) facts.nodeVersion = readNodeVersion(result.chunks);
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
    facts.decompressedBytes = result.tarBytes;
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
  return facts;
}
