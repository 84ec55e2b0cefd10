/** The shapes of the project's one tar reader, shared by abi-gate scan, packager and doctor. */

export type TarEntryType =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'hardlink'
  | 'char-device'
  | 'block-device'
  | 'fifo'
  | 'other';

export interface TarEntryInfo {
  /** The path exactly as the archive states it: absolute paths, `..` and NULs are kept. */
  path: string;
  type: TarEntryType;
  /** The raw typeflag character of the header (`'0'`, `'5'`, `'S'`, ...). */
  typeflag: string;
  size: number;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: Date | null;
  linkpath: string | null;
  /** Raw pax records of this entry's own extended header, unknown keys included. */
  pax: Record<string, string>;
  /** Raw pax records of the global headers seen so far (merged, later ones win). */
  globalPax: Record<string, string>;
  /** Offset of this entry's own header block in the uncompressed tar stream. */
  offset: number;
  /**
   * The entry's own 512-byte header block, raw (a view, not a copy: valid only during the
   * handler's synchronous part). Verifiers read what the decoded fields hide: the typeflag byte,
   * magic and version, number syntax, bytes after a field's NUL, the ustar prefix.
   */
  header: Buffer;
  /**
   * The extended and long-name headers (`x`, `g`, `L`, `K`, ...) between the previous entry and
   * this one, in archive order; empty (and shared) for the common entry that has none.
   */
  meta: readonly TarMetaRecord[];
  /** Which sum the header's checksum field holds (GNU tar accepts both, node-tar only unsigned). */
  checksum: 'unsigned' | 'signed';
}

/** One extended or long-name header as it stood in the archive. */
export interface TarMetaRecord {
  /** The raw typeflag character (`'x'`, `'g'`, `'L'`, `'K'`, `'N'`, `'X'`). */
  typeflag: string;
  /** Offset of its header block in the uncompressed tar stream. */
  offset: number;
  /** Its 512-byte header block (a copy). */
  header: Buffer;
  /** Its body, raw (at most maxMetaEntrySize bytes). */
  body: Buffer;
}

export interface EntryBody {
  /**
   * Hands each chunk to `onChunk` synchronously and resolves when the body ends. The fast path:
   * no promise per chunk.
   */
  forEach(onChunk: (chunk: Buffer) => void): Promise<void>;
  /** The same chunks as an async iterable (one promise per chunk; prefer forEach when hot). */
  [Symbol.asyncIterator](): AsyncIterator<Buffer>;
  /** Discards the body. A handler that neither reads nor skips gets its body skipped. */
  skip(): Promise<void>;
}

export type TarEntryHandler = (entry: TarEntryInfo, body: EntryBody) => void | Promise<void>;

export interface TarLimits {
  /** Largest pax / GNU long-name header accepted (default 1 MiB, like node-tar). */
  maxMetaEntrySize?: number;
  /** Fails when the tar stream outgrows the compressed input by this factor (default 1000). */
  maxDecompressionRatio?: number;
  /** Fails past this many uncompressed bytes (default: no limit). */
  maxTarBytes?: number;
  /** Fails past this many entries (default: no limit). */
  maxEntries?: number;
}

export interface ReadTarOptions {
  limits?: TarLimits;
  /** Refuse input that is not gzip (doctor reads `.tar.gz` releases). */
  requireGzip?: boolean;
  /**
   * Gets the sha256 of the raw input (the file as it is, compressed when gzip) and its size once
   * every byte was read, from whichever thread read them.
   */
  onRawHashed?: (sha256: string, bytes: number) => void;
  /**
   * Sees every byte of the plain tar stream (inflated when gzip) in order, before the entries in
   * it are handled; a promise it returns holds the read until it settles (backpressure). Chunks
   * are shared, never changed: the tap must not change them either.
   */
  onTarChunk?: (chunk: Buffer) => Promise<void> | undefined;
  /** Name used in error messages; defaults to the path or `<stream>`. */
  label?: string;
  /**
   * Where gzip is inflated (tar/inflate.ts): 'auto' (the default) uses a worker thread for files
   * of 8 MiB and more, and the calling thread for smaller files and for streams.
   */
  inflate?: 'auto' | 'main-thread' | 'worker';
}

export interface ReadTarResult {
  gzip: boolean;
  /** Where the gzip was inflated (tar/inflate.ts); null for a plain tar. */
  inflatedOn: 'main-thread' | 'worker' | null;
  /** Raw input bytes read (the compressed size for a gzip). */
  rawBytes: number;
  /** Uncompressed tar bytes. */
  tarBytes: number;
  entries: number;
  /** True when the archive ended with its two zero blocks. */
  eof: boolean;
  /**
   * Tar offset of a zero block followed by a header instead of a second zero block. GNU tar stops
   * at such a lone zero block ("A lone zero block at ..."); node-tar and this reader go on.
   */
  loneZeroBlock: number | null;
  /** Extended or long-name headers that no entry followed (at the end of the archive). */
  danglingMeta: readonly TarMetaRecord[];
  /**
   * For a gzip: the size the last member's trailer records (ISIZE, the size mod 2^32). When it
   * differs from tarBytes mod 2^32 the stream has more than one member that carries data.
   */
  gzipTrailerSize: number | null;
  /**
   * For a gzip: the first member's header flags (FTEXT 1, FHCRC 2, FEXTRA 4, FNAME 8, FCOMMENT 16)
   * and whether that member inflates to nothing within the first chunk read (an empty leading
   * member: with gzipTrailerSize, what tells one member from several).
   */
  gzipFlags: number | null;
  gzipFirstMemberEmpty: boolean | null;
}
