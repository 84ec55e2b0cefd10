import { TarBody } from './body.js';
import { TarError } from './errors.js';
import { BLOCK, decodeHeader, type HeaderBlock } from './header.js';
import { parsePaxRecords, paxNumber } from './pax.js';
import type { TarEntryHandler, TarEntryInfo, TarEntryType, TarMetaRecord } from './types.js';

const META_TYPES: ReadonlySet<string> = new Set(['x', 'X', 'g', 'L', 'K', 'N']);
/** Types whose size a pax `size` record may override (node-tar's normalFsTypes; GNU tar agrees). */
const FS_TYPES: ReadonlySet<string> = new Set(['0', '1', '2', '3', '4', '5', '6', '7', 'D']);
const TYPES: Readonly<Record<string, TarEntryType>> = {
  '0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char-device',
  '4': 'block-device',
  '5': 'directory',
  D: 'directory',
  '6': 'fifo',
};
const EMPTY: Record<string, string> = Object.freeze(Object.create(null) as Record<string, string>);
const NO_BYTES = Buffer.alloc(0);
const NO_META: readonly TarMetaRecord[] = Object.freeze([]);

type State = 'header' | 'body' | 'meta' | 'pad' | 'eof';

export interface ParserLimits {
  maxMetaEntrySize: number;
  maxEntries: number;
}

/** Whether the last handler's promise has settled; the next entry waits for it. */
interface Gate {
  settled: boolean;
}

/**
 * The tar framing in one pass over the chunks as they come: headers (ustar, pax, GNU long
 * names), raw pax records with their scope, bodies handed out as slices of the chunks, padding,
 * and the end-of-archive blocks (refusing data hidden after them). Entries reach the handler one
 * at a time in archive order; while a handler has not asked for its body, or an iterator has not
 * asked for the next piece, `run()` returns a promise and the caller waits: that is the
 * backpressure, and nothing is buffered.
 */
export class TarParser {
  eof = false;
  entries = 0;
  failure: unknown = null;
  /** Offset of the first zero block that a header, not a second zero block, followed. */
  loneZeroBlock: number | null = null;
  private state: State = 'header';
  private chunk: Buffer = NO_BYTES;
  private pos = 0;
  /** Tar offset of chunk[0]. */
  private base = 0;
  private readonly headerBuf = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private remaining = 0;
  private padding = 0;
  private body: TarBody | null = null;
  private gate: Gate | null = null;
  private metaType = '';
  private metaOffset = 0;
  private metaBuf: Buffer = NO_BYTES;
  private metaFill = 0;
  private pendingPax: Record<string, string> | null = null;
  /** Meta headers read since the last entry, handed to the next one. */
  private pendingMeta: TarMetaRecord[] | null = null;
  private nullBlockOffset = 0;
  private longPath: string | undefined;
  private longLink: string | undefined;
  private globalPax: Record<string, string> = EMPTY;
  private sawNullBlock = false;
  private wakeUp: (() => void) | null = null;
  private readonly wake = (): void => {
    const wake = this.wakeUp;
    this.wakeUp = null;
    wake?.();
  };

  constructor(
    private readonly label: string,
    private readonly limits: ParserLimits,
    private readonly onEntry: TarEntryHandler,
  ) {}

  /** Starts on a chunk: null when it was consumed, else a promise to await before `run()`. */
  write(chunk: Buffer, tarOffset: number): Promise<void> | null {
    this.chunk = chunk;
    this.pos = 0;
    this.base = tarOffset;
    return this.run();
  }

  run(): Promise<void> | null {
    try {
      return this.step();
    } catch (error) {
      this.fail(error);
      return null;
    }
  }

  fail(error: unknown): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.body?.abort(error);
    this.wake();
  }

  /** At the end of input: a header or body cut short is a truncated archive. */
  finish(): void {
    if (this.state === 'eof' || (this.state === 'header' && this.headerFill === 0)) return;
    throw new TarError('truncated', `${this.label}: archive ends inside an entry at tar offset ${this.base + this.pos}`, {
      hint: 'the file is incomplete; download or build it again',
    });
  }

  /** Meta headers that no entry followed. */
  get danglingMeta(): readonly TarMetaRecord[] {
    return this.pendingMeta ?? NO_META;
  }

  /** Resolves once the last handler has settled (after a failure too: it has been told). */
  async settled(): Promise<void> {
    while (this.gate !== null && !this.gate.settled) await this.waitForWake();
  }

  private waitForWake(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  private step(): Promise<void> | null {
    const chunk = this.chunk;
    while (this.pos < chunk.length) {
      if (this.failure !== null) return null;
      switch (this.state) {
        case 'header': {
          if (this.gate !== null && !this.gate.settled) return this.waitForWake();
          if (this.headerFill === 0 && this.pos + BLOCK <= chunk.length) {
            this.pos += BLOCK;
            this.onHeader(chunk, this.pos - BLOCK, this.base + this.pos - BLOCK);
            break;
          }
          const n = Math.min(BLOCK - this.headerFill, chunk.length - this.pos);
          chunk.copy(this.headerBuf, this.headerFill, this.pos, this.pos + n);
          this.headerFill += n;
          this.pos += n;
          if (this.headerFill === BLOCK) {
            this.headerFill = 0;
            this.onHeader(this.headerBuf, 0, this.base + this.pos - BLOCK);
          }
          break;
        }
        case 'body': {
          const body = this.body as TarBody;
          if (body.mode === 'none') {
            if (this.gate !== null && !this.gate.settled) return this.waitForWake();
            // The handler is done and never asked for its body.
            body.mode = 'skip';
          }
          if (body.mode === 'iterate' && !body.wantsChunk) return this.waitForWake();
          const n = Math.min(this.remaining, chunk.length - this.pos);
          const piece = chunk.subarray(this.pos, this.pos + n);
          this.pos += n;
          this.remaining -= n;
          if (body.mode === 'each') (body.onChunk as (chunk: Buffer) => void)(piece);
          else if (body.mode === 'iterate') body.deliver(piece);
          if (this.remaining === 0) this.endBody();
          break;
        }
        case 'pad': {
          const n = Math.min(this.padding, chunk.length - this.pos);
          this.pos += n;
          this.padding -= n;
          if (this.padding === 0) this.state = 'header';
          break;
        }
        case 'meta': {
          const n = Math.min(this.remaining, chunk.length - this.pos);
          chunk.copy(this.metaBuf, this.metaFill, this.pos, this.pos + n);
          this.metaFill += n;
          this.pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.onMetaBody();
          break;
        }
        case 'eof': {
          for (let i = this.pos; i < chunk.length; i++) {
            if (chunk[i] !== 0) {
              throw new TarError(
                'trailing-garbage',
                `${this.label}: data after the end-of-archive blocks at tar offset ${this.base + i}`,
                { hint: 'the archive hides bytes that tar tools ignore; rebuild it' },
              );
            }
          }
          this.pos = chunk.length;
          break;
        }
      }
    }
    return null;
  }

  private endBody(): void {
    (this.body as TarBody).end();
    this.body = null;
    this.state = this.padding > 0 ? 'pad' : 'header';
  }

  private bad(offset: number, what: string): TarError {
    return new TarError('bad-header', `${this.label}: ${what} at tar offset ${offset}`, {
      hint: 'the archive is damaged or ambiguous; build it again',
    });
  }

  private onHeader(block: Buffer, start: number, offset: number): void {
    const decoded = decodeHeader(block, start);
    if (decoded.kind === 'null') {
      if (this.sawNullBlock) {
        this.state = 'eof';
        this.eof = true;
      }
      this.sawNullBlock = true;
      this.nullBlockOffset = offset;
      return;
    }
    if (this.sawNullBlock) this.loneZeroBlock ??= this.nullBlockOffset;
    this.sawNullBlock = false;
    if (decoded.kind === 'bad') throw this.bad(offset, `corrupt tar header (${decoded.reason})`);
    const header = decoded.header;
    if (header.size < 0) throw this.bad(offset, `negative size ${header.size} in a tar header`);
    if (META_TYPES.has(header.typeflag)) {
      this.startMeta(header, offset, block.subarray(start, start + BLOCK));
      return;
    }
    this.entries++;
    if (this.entries > this.limits.maxEntries) {
      throw new TarError('limit', `${this.label}: more than ${this.limits.maxEntries} entries`);
    }
    const info = this.entryInfo(header, offset, block.subarray(start, start + BLOCK));
    this.pendingPax = null;
    this.pendingMeta = null;
    this.longPath = undefined;
    this.longLink = undefined;
    this.dispatch(info);
  }

  private entryInfo(header: HeaderBlock, offset: number, raw: Buffer): TarEntryInfo {
    const pax = this.pendingPax ?? EMPTY;
    const global = this.globalPax;
    const path = pax.path ?? this.longPath ?? header.name;
    const linkpath = pax.linkpath ?? this.longLink ?? header.linkname;
    const typeflag = header.typeflag;
    let type = TYPES[typeflag] ?? 'other';
    let size = header.size;
    // Framing as node-tar and GNU tar do it: a pax size counts for file-system entries only, and
    // a directory (or a pre-POSIX file named with a trailing '/') has no body. A GNU dumpdir
    // ('D') keeps its body: both skip it.
    if (FS_TYPES.has(typeflag)) size = paxNumber(pax.size) ?? paxNumber(global.size) ?? size;
    if (typeflag === '0' && path.endsWith('/')) type = 'directory';
    if (typeflag === '5' || (type === 'directory' && typeflag !== 'D')) size = 0;
    if (path === '') throw this.bad(offset, 'tar entry without a path');
    const isLink = typeflag === '1' || typeflag === '2';
    if (isLink && linkpath === '') throw this.bad(offset, `link ${JSON.stringify(path)} without a target`);
    if (!isLink && linkpath !== '') throw this.bad(offset, `${JSON.stringify(path)} is not a link but names a link target`);
    const mtime = paxTime(pax.mtime) ?? paxTime(global.mtime) ?? header.mtime;
    return {
      path,
      type,
      typeflag,
      size,
      mode: header.mode,
      uid: paxNumber(pax.uid) ?? paxNumber(global.uid) ?? header.uid,
      gid: paxNumber(pax.gid) ?? paxNumber(global.gid) ?? header.gid,
      uname: pax.uname ?? global.uname ?? header.uname,
      gname: pax.gname ?? global.gname ?? header.gname,
      mtime: mtime === null ? null : new Date(mtime * 1000),
      linkpath: isLink ? linkpath : null,
      pax,
      globalPax: global,
      offset,
      header: raw,
      meta: this.pendingMeta ?? NO_META,
      checksum: header.checksum,
    };
  }

  private dispatch(info: TarEntryInfo): void {
    const body = new TarBody(this.wake);
    this.body = body;
    this.remaining = info.size;
    this.padding = (BLOCK - (info.size % BLOCK)) % BLOCK;
    this.gate = null;
    const returned = this.onEntry(info, body);
    if (returned !== undefined && typeof (returned as Promise<void>).then === 'function') {
      const gate: Gate = { settled: false };
      this.gate = gate;
      (returned as Promise<void>).then(
        () => {
          gate.settled = true;
          this.wake();
        },
        (error: unknown) => {
          gate.settled = true;
          this.fail(error);
          this.wake();
        },
      );
    }
    if (info.size === 0) this.endBody();
    else this.state = 'body';
  }

  private startMeta(header: HeaderBlock, offset: number, raw: Buffer): void {
    if (header.size > this.limits.maxMetaEntrySize) {
      throw new TarError('limit', `${this.label}: extended header of ${header.size} bytes at tar offset ${offset} exceeds the limit`);
    }
    (this.pendingMeta ??= []).push({ typeflag: header.typeflag, offset, header: Buffer.from(raw), body: NO_BYTES });
    this.padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
    if (header.size === 0) {
      this.state = this.padding > 0 ? 'pad' : 'header';
      return;
    }
    this.metaType = header.typeflag;
    this.metaOffset = offset;
    this.metaBuf = Buffer.allocUnsafe(header.size);
    this.metaFill = 0;
    this.remaining = header.size;
    this.state = 'meta';
  }

  private onMetaBody(): void {
    const body = this.metaBuf;
    this.metaBuf = NO_BYTES;
    const record = this.pendingMeta?.at(-1);
    if (record !== undefined) record.body = body;
    this.state = this.padding > 0 ? 'pad' : 'header';
    const where = `${this.label}: extended header at tar offset ${this.metaOffset}`;
    switch (this.metaType) {
      case 'g':
        this.globalPax = Object.assign(Object.create(null) as Record<string, string>, this.globalPax, parsePaxRecords(body, where));
        break;
      case 'x':
      case 'X':
        this.pendingPax = Object.assign(Object.create(null) as Record<string, string>, this.pendingPax, parsePaxRecords(body, where));
        break;
      case 'L':
      case 'N':
        this.longPath = cString(body);
        break;
      case 'K':
        this.longLink = cString(body);
        break;
    }
  }
}

/** A GNU long name or link: the bytes up to the first NUL. */
function cString(body: Buffer): string {
  const nul = body.indexOf(0);
  return body.toString('utf8', 0, nul < 0 ? body.length : nul);
}

/** A pax time (`1700000000.123456789`) in seconds, or undefined. */
function paxTime(value: string | undefined): number | undefined {
  if (value === undefined || !/^-?[0-9]+(\.[0-9]*)?$/.test(value)) return undefined;
  return Number(value);
}
