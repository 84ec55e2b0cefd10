import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanBuffer } from '../scan-file.js';
import { readelfVersions } from '../test-support/binutils.js';
import { buildElf, sampleSpec } from '../test-support/elf-builder.js';
import { stripSectionHeaders } from '../test-support/strip-sections.js';
import type { ScanEntry, ScannedFile } from '../types.js';

/**
 * Entries shared between chains are legitimate: the loader walks each vda_next/vna_next chain on
 * its own (glibc elf/dl-version.c), and ld emits such files (libjansson.so.4: its BASE verdef
 * and its index-2 verdef point at one verdaux). Loops inside one chain are covered in
 * hostile.test.ts.
 */

const tmp = mkdtempSync(join(tmpdir(), 'abi-gate-versions-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const put16 = (buf: Buffer, at: number, v: number): void => void buf.writeUInt16LE(v, at);
const put32 = (buf: Buffer, at: number, v: number): void => void buf.writeUInt32LE(v >>> 0, at);

function scanned(entry: ScanEntry | null): ScannedFile {
  if (entry === null) throw new Error('not a binary');
  if ('error' in entry && entry.error !== undefined) throw new Error(entry.error);
  return entry as ScannedFile;
}

describe('shared version entries', () => {
  it('two verdefs sharing one verdaux (the libjansson.so.4 layout)', () => {
    const built = buildElf(
      sampleSpec({
        soname: 'libshare.so.4',
        verdef: [
          { name: 'libshare.so.4', index: 1, base: true },
          { name: 'libshare.so.4', index: 2 },
        ],
        symbols: [
          { name: 'memcpy', version: 3 },
          { name: 'share_open', version: 2, defined: true },
        ],
        verneed: [{ file: 'libc.so.6', entries: [{ name: 'GLIBC_2.2.5', index: 3 }] }],
      }),
    );
    // The BASE verdef (at 0, 20 bytes, its verdaux at 20) now points at the second verdef's
    // verdaux at 48, as in libjansson.so.4 where both name the soname.
    put32(built.buf, built.at.verdef + 12, 48);
    const path = join(tmp, 'shared-verdaux.so');
    writeFileSync(path, built.buf);
    const entry = scanned(scanBuffer(built.buf, 'shared-verdaux.so'));
    const readelf = readelfVersions(path);
    expect(readelf.defs).toEqual(['libshare.so.4']);
    expect(entry.versionDefs).toEqual(readelf.defs);
    expect(entry.versionNeeds).toEqual(readelf.needs);
    expect(entry.requires).toEqual({ GLIBC: '2.2.5' });
    const stripped = scanned(scanBuffer(stripSectionHeaders(built.buf), 'shared-verdaux.so'));
    expect(stripped.versionDefs).toEqual(readelf.defs);
  });

  it('two verneed records sharing one vernaux chain', () => {
    const built = buildElf(
      sampleSpec({
        needed: ['libm.so.6', 'libc.so.6'],
        verneed: [
          { file: 'libm.so.6', entries: [{ name: 'GLIBC_2.2.5', index: 2 }] },
          {
            file: 'libc.so.6',
            entries: [
              { name: 'GLIBC_2.29', index: 3 },
              { name: 'GLIBC_2.2.5', index: 2 },
            ],
          },
        ],
        symbols: [
          { name: 'memcpy', version: 2 },
          { name: 'exp', version: 3 },
        ],
      }),
    );
    // Record 0 (libm, at 0) gets record 1's chain: records are 16 bytes, record 1 sits at 32 and
    // its vernaux chain at 48. The loader checks both entries against each library.
    put32(built.buf, built.at.verneed + 8, 48);
    put16(built.buf, built.at.verneed + 2, 2);
    const path = join(tmp, 'shared-vernaux.so');
    writeFileSync(path, built.buf);
    const entry = scanned(scanBuffer(built.buf, 'shared-vernaux.so'));
    const readelf = readelfVersions(path);
    expect(readelf.needs.filter((n) => n.version === 'GLIBC_2.29').map((n) => n.library)).toEqual(['libm.so.6', 'libc.so.6']);
    expect(entry.versionNeeds).toEqual(readelf.needs);
    expect(entry.requires).toEqual({ GLIBC: '2.29' });
  });
});
