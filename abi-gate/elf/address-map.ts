import { MalformedElfError } from '../errors.js';
import type { ProgramHeader } from './program-headers.js';
import { hex } from './reader.js';

/**
 * Maps virtual addresses from the dynamic table to file offsets through PT_LOAD, as the loader
 * sees them once the segments are mapped. Only bytes backed by the file count (p_filesz, not
 * p_memsz): a table in the zero-filled tail would not be the file's.
 */
export class AddressMap {
  constructor(private readonly loads: readonly ProgramHeader[]) {}

  /** The file offset of `vaddr` and how many file-backed bytes follow it in its segment. */
  locate(what: string, vaddr: number): { offset: number; available: number } {
    for (const load of this.loads) {
      if (vaddr >= load.vaddr && vaddr - load.vaddr < load.filesz) {
        const delta = vaddr - load.vaddr;
        return { offset: load.offset + delta, available: load.filesz - delta };
      }
    }
    throw new MalformedElfError(`${what} address ${hex(vaddr)} is not inside any PT_LOAD segment`);
  }

  /** The file offset of [vaddr, vaddr+length), which must lie inside one segment. */
  range(what: string, vaddr: number, length: number): number {
    const { offset, available } = this.locate(what, vaddr);
    if (length > available) {
      throw new MalformedElfError(`${what} at ${hex(vaddr)} (${length} bytes) runs past the end of its PT_LOAD segment`);
    }
    return offset;
  }
}
