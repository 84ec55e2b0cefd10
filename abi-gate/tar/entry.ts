import type { ReadEntry } from 'tar';
import type { HeaderRecord } from './block-walker.js';
import type { EntryBody, TarEntryInfo, TarEntryType } from './types.js';

/** node-tar's ReadEntry seen through the reader's own types. */

const TYPES: Record<string, TarEntryType> = {
  File: 'file',
  OldFile: 'file',
  ContiguousFile: 'file',
  Directory: 'directory',
  GNUDumpDir: 'directory',
  SymbolicLink: 'symlink',
  Link: 'hardlink',
  CharacterDevice: 'char-device',
  BlockDevice: 'block-device',
  FIFO: 'fifo',
};

export function toInfo(entry: ReadEntry, record: HeaderRecord, ignored: boolean): TarEntryInfo {
  return {
    path: record.pax.path ?? entry.path,
    type: ignored ? 'other' : (TYPES[entry.type] ?? 'other'),
    typeflag: record.typeflag,
    size: entry.size,
    mode: entry.mode ?? 0,
    uid: entry.uid ?? 0,
    gid: entry.gid ?? 0,
    uname: entry.uname ?? '',
    gname: entry.gname ?? '',
    mtime: entry.mtime ?? null,
    linkpath: record.pax.linkpath ?? entry.linkpath ?? null,
    pax: record.pax,
    globalPax: record.globalPax,
    offset: record.offset,
  };
}

export class ReadEntryBody implements EntryBody {
  used = false;

  constructor(
    private readonly entry: ReadEntry,
    private readonly aborted: Promise<never>,
  ) {}

  forEach(onChunk: (chunk: Buffer) => void): Promise<void> {
    this.used = true;
    const ended = new Promise<void>((resolve) => {
      this.entry.on('end', resolve);
      this.entry.on('data', onChunk);
    });
    return Promise.race([ended, this.aborted]);
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    this.used = true;
    const inner = this.entry[Symbol.asyncIterator]();
    return {
      next: () => Promise.race([inner.next(), this.aborted]),
      return: async () => {
        this.entry.resume();
        return { done: true, value: undefined };
      },
    };
  }

  skip(): Promise<void> {
    this.used = true;
    const ended = new Promise<void>((resolve) => {
      this.entry.on('end', resolve);
      this.entry.resume();
    });
    return Promise.race([ended, this.aborted]);
  }
}
