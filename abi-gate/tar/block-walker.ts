import { Header, types } from 'tar';
import { TarError } from './errors.js';
import { parsePaxRecords, paxNumber } from './pax.js';

/** What the walker learned about one non-meta header, paired in order with node-tar's entries. */
export interface HeaderRecord {
  offset: number;
  typeflag: string;
  size: number;
  pax: Record<string, string>;
  globalPax: Record<string, string>;
}

const BLOCK = 512;
const META_TYPES = new Set(['x', 'X', 'g', 'L', 'K', 'N']);
const NORMAL_FS_TYPES: ReadonlySet<string> = types.normalFsTypes;
const EMPTY: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);

type State = 'header' | 'skip' | 'meta' | 'eof';

/**
 * Walks the tar framing (headers, pax bodies, padding) of the same bytes node-tar's Parser sees,
 * one step ahead of it. node-tar's `meta` event hands out pax bodies as lossy strings without
 * saying whether they were global or per-entry, and the Parser stops looking after the end
 * blocks; the walker keeps the raw records with their scope, the header offsets, and refuses
 * data hidden after the end of the archive. Sizes follow node-tar's rules (pax size applies to
 * file-system types only, directories have no body) so both agree; `take()` checks that they do.
 */
export class BlockWalker {
  readonly records: HeaderRecord[] = [];
  eof = false;
  private state: State = 'header';
  private offset = 0;
  private remaining = 0;
  private readonly headerBuf = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private metaChunks: Buffer[] = [];
  private metaType = '';
  private metaSize = 0;
  private metaOffset = 0;
  private pendingPax: Record<string, string> | null = null;
  private pendingPath: string | undefined;
  private globalPax: Record<string, string> = EMPTY;
  private sawNullBlock = false;

  constructor(
    private readonly label: string,
    private readonly maxMetaEntrySize: number,
  ) {}

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.state) {
        case 'header': {
          const n = Math.min(BLOCK - this.headerFill, chunk.length - pos);
          chunk.copy(this.headerBuf, this.headerFill, pos, pos + n);
          this.headerFill += n;
          pos += n;
          if (this.headerFill === BLOCK) {
            this.headerFill = 0;
            this.onHeader(this.headerBuf);
            this.offset += BLOCK;
          }
          break;
        }
        case 'skip': {
          const n = Math.min(this.remaining, chunk.length - pos);
          this.remaining -= n;
          this.offset += n;
          pos += n;
          if (this.remaining === 0) this.state = 'header';
          break;
        }
        case 'meta': {
          const n = Math.min(this.remaining, chunk.length - pos);
          this.metaChunks.push(Buffer.from(chunk.subarray(pos, pos + n)));
          this.remaining -= n;
          this.offset += n;
          pos += n;
          if (this.remaining === 0) this.onMetaBody();
          break;
        }
        case 'eof': {
          for (let i = pos; i < chunk.length; i++) {
            if (chunk[i] !== 0) {
              throw new TarError(
                'trailing-garbage',
                `${this.label}: data after the end-of-archive blocks at tar offset ${this.offset + i - pos}`,
                { hint: 'the archive hides bytes that tar tools ignore; rebuild it' },
              );
            }
          }
          this.offset += chunk.length - pos;
          pos = chunk.length;
          break;
        }
      }
    }
  }

  /** The record for node-tar's next entry; refuses when the two readers disagree. */
  take(path: string, size: number): HeaderRecord {
    const record = this.records.shift();
    if (record === undefined || record.size !== size) {
      throw new TarError(
        'bad-header',
        `${this.label}: entry ${JSON.stringify(path)} is framed differently by different tar readers` +
          ` (size ${size} vs ${record?.size ?? 'none'})`,
        { hint: 'the archive is ambiguous, a known smuggling trick; rebuild it' },
      );
    }
    return record;
  }

  /** Called at the end of input: a header or body cut short is a truncated archive. */
  finish(): void {
    if (this.state === 'eof' || (this.state === 'header' && this.headerFill === 0)) return;
    throw new TarError('truncated', `${this.label}: archive ends inside an entry at tar offset ${this.offset}`, {
      hint: 'the file is incomplete; download or build it again',
    });
  }

  private onHeader(block: Buffer): void {
    const header = new Header(block);
    if (header.nullBlock) {
      if (this.sawNullBlock) this.state = 'eof';
      this.sawNullBlock = true;
      if (this.state === 'eof') this.eof = true;
      return;
    }
    this.sawNullBlock = false;
    if (!header.cksumValid) {
      throw new TarError('bad-header', `${this.label}: corrupt tar header at tar offset ${this.offset} (checksum mismatch)`, {
        hint: 'the archive is damaged; build it again',
      });
    }
    const typeflag = String.fromCharCode(block[156] ?? 0x30).replace('\0', '0');
    const headerSize = header.size ?? 0;
    if (META_TYPES.has(typeflag)) {
      if (headerSize > this.maxMetaEntrySize) {
        throw new TarError('limit', `${this.label}: extended header of ${headerSize} bytes at tar offset ${this.offset} exceeds the limit`);
      }
      if (headerSize === 0) return;
      this.metaType = typeflag;
      this.metaSize = headerSize;
      this.metaOffset = this.offset;
      this.metaChunks = [];
      this.remaining = Math.ceil(headerSize / BLOCK) * BLOCK;
      this.state = 'meta';
      return;
    }
    const pax = this.pendingPax ?? EMPTY;
    const fsType = NORMAL_FS_TYPES.has(typeflag === '0' && block[156] === 0 ? '' : typeflag);
    let size = fsType ? (paxNumber(pax.size) ?? paxNumber(this.globalPax.size) ?? headerSize) : headerSize;
    const path = fsType ? (this.pendingPath ?? header.path ?? '') : (header.path ?? '');
    if (typeflag === '5' || (typeflag === '0' && path.endsWith('/'))) size = 0;
    this.records.push({ offset: this.offset, typeflag, size, pax, globalPax: this.globalPax });
    this.pendingPax = null;
    this.pendingPath = undefined;
    this.remaining = Math.ceil(size / BLOCK) * BLOCK;
    if (this.remaining > 0) this.state = 'skip';
  }

  private onMetaBody(): void {
    const body = Buffer.concat(this.metaChunks).subarray(0, this.metaSize);
    this.metaChunks = [];
    this.state = 'header';
    const where = `${this.label}: extended header at tar offset ${this.metaOffset}`;
    if (this.metaType === 'g') {
      this.globalPax = Object.assign(Object.create(null) as Record<string, string>, this.globalPax, parsePaxRecords(body, where));
    } else if (this.metaType === 'x' || this.metaType === 'X') {
      const records = parsePaxRecords(body, where);
      this.pendingPax = Object.assign(Object.create(null) as Record<string, string>, this.pendingPax, records);
      if (records.path !== undefined) this.pendingPath = records.path.replace(/\0.*/s, '');
    } else if (this.metaType === 'L' || this.metaType === 'N') {
      this.pendingPath = body.toString('utf8').replace(/\0.*/s, '');
    }
  }
}
