/**
 * The one binary collector over a tar stream, shared by abi-gate scan, doctor verify and
 * packager: each file's first FORMAT_SNIFF_BYTES say whether it is a native binary; a binary's
 * chunks are kept (as the inflater produced them, never concatenated; of an ELF only the parts
 * its scan is expected to read, scan-retain.ts) and scanned when its body ends; the few whose
 * scan needed a byte that was dropped are scanned again, whole, in a second pass. Nothing is
 * written to disk.
 *
 * A caller that wants more from the same pass (doctor hashes every file, keeps product.json,
 * reads node's version) plugs in through `hooks`: it sees every entry, and every chunk of the
 * files it asks for, in the same read.
 */
import { FORMAT_SNIFF_BYTES, detectFormat } from './format.js';
import { RetainedChunks } from './scan-retain.js';
import { scanSource } from './scan-file.js';
import { readTar } from './tar/read-tar.js';
import type { EntryBody, ReadTarOptions, ReadTarResult, TarEntryInfo } from './tar/types.js';
import type { BinaryFormat, ScanEntry } from './types.js';

/** Sees the chunks of one file body, in order, before the collector does. */
export interface ChunkObserver {
  onChunk(chunk: Buffer): void;
  /** The body ended; `format` is its native format, null for anything else. */
  onEnd?(format: BinaryFormat | null): void;
}

export interface CollectHooks {
  /**
   * Every entry in archive order, before its body. Returns an observer for a file's chunks,
   * nothing, or 'skip' for a body neither the caller nor the collector needs. Throwing stops the
   * read (the error comes out of `collect`).
   */
  entry?(info: TarEntryInfo): ChunkObserver | 'skip' | undefined;
}

export interface CollectOptions extends Pick<ReadTarOptions, 'label' | 'limits' | 'onRawHashed' | 'onTarChunk' | 'requireGzip'> {
  /** The path a binary is reported under (default: the archive path as stored). */
  reportPath?(info: TarEntryInfo): string;
  hooks?: CollectHooks;
}

/**
 * One read of one tarball. `binaries` fills as the read goes, so what was scanned before a
 * failure is still there when `collect` throws.
 */
export class TarBinaryCollector {
  /** Tar offset -> scan, in archive order; null while a binary waits for its second pass. */
  private readonly scans = new Map<number, ScanEntry | null>();
  private readonly missed = new Map<number, string>();

  constructor(
    private readonly input: string,
    private readonly options: CollectOptions = {},
  ) {}

  /** Every binary scanned so far, in archive order. */
  *binaries(): Generator<ScanEntry> {
    for (const scan of this.scans.values()) if (scan !== null) yield scan;
  }

  async collect(): Promise<ReadTarResult> {
    const { hooks, reportPath, label, limits, onRawHashed, onTarChunk, requireGzip } = this.options;
    const readOptions: ReadTarOptions = { label, limits, onRawHashed, onTarChunk, requireGzip };
    const result = await readTar(
      this.input,
      (info, body) => {
        const observer = hooks?.entry?.(info);
        if (info.type !== 'file') return undefined;
        if (observer === 'skip') return body.skip();
        return this.readBody(info, body, observer, reportPath?.(info) ?? info.path);
      },
      readOptions,
    );
    if (this.missed.size > 0) await this.rescan();
    return result;
  }

  /** Sniffs, keeps and scans one file body as it streams by. */
  private async readBody(info: TarEntryInfo, body: EntryBody, observer: ChunkObserver | undefined, path: string): Promise<void> {
    const sniff = new Sniffer(info.size, true);
    await body.forEach(
      observer === undefined
        ? sniff.push
        : (chunk) => {
            observer.onChunk(chunk);
            sniff.push(chunk);
          },
    );
    const kept = sniff.finish();
    observer?.onEnd?.(sniff.format);
    if (kept === null) return;
    const source = kept.source();
    // scanSource reports malformed files as entries with `error`; null only for non-binaries.
    const scanned = scanSource(source, path);
    if (source.missed) {
      this.missed.set(info.offset, path);
      this.scans.set(info.offset, null);
    } else if (scanned !== null) this.scans.set(info.offset, scanned);
  }

  /** The binaries whose first scan needed a byte the streaming pass dropped, with every byte kept. */
  private async rescan(): Promise<void> {
    const { label, limits, requireGzip } = this.options;
    await readTar(
      this.input,
      (info, body) => {
        const path = this.missed.get(info.offset);
        if (path === undefined) return undefined;
        const sniff = new Sniffer(info.size, false);
        return body.forEach(sniff.push).then(() => {
          const kept = sniff.finish();
          const scanned = kept === null ? null : scanSource(kept.source(), path);
          if (scanned === null) this.scans.delete(info.offset);
          else this.scans.set(info.offset, scanned);
        });
      },
      { label, limits, requireGzip },
    );
    this.missed.clear();
  }
}

/**
 * A file body's head, held until FORMAT_SNIFF_BYTES (or the whole body) decide whether it is a
 * native binary; then the binary's chunks (of an ELF, when `sparse`, only those its scan is
 * expected to read).
 */
class Sniffer {
  format: BinaryFormat | null = null;
  private head: Buffer[] = [];
  private headLength = 0;
  private decided = false;
  private kept: RetainedChunks | null = null;

  constructor(
    private readonly size: number,
    private readonly sparse: boolean,
  ) {}

  readonly push = (chunk: Buffer): void => {
    if (this.decided) {
      this.kept?.push(chunk);
      return;
    }
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength >= FORMAT_SNIFF_BYTES) this.decide();
  };

  /** The body ended: a file shorter than the sniff window is judged whole. */
  finish(): RetainedChunks | null {
    if (!this.decided) this.decide();
    return this.kept;
  }

  private decide(): void {
    this.decided = true;
    const head = this.head;
    const detected = this.headLength === 0 ? null : detectFormat(head.length === 1 ? (head[0] as Buffer) : Buffer.concat(head, this.headLength));
    if (detected !== null) {
      this.format = detected.format;
      this.kept = new RetainedChunks(this.size, this.sparse && detected.format === 'elf');
      for (const piece of head) this.kept.push(piece);
    }
    this.head = [];
  }
}
