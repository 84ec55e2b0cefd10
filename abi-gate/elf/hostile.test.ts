import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanBuffer } from '../scan-file.js';
import { readelfDynamic, readelfDynSyms, readelfVersions } from '../test-support/binutils.js';
import { BASE_VADDR, type BuiltElf, buildElf, sampleSpec } from '../test-support/elf-builder.js';
import { stripSectionHeaders } from '../test-support/strip-sections.js';
import type { ScanEntry, ScannedFile } from '../types.js';

/**
 * One hand-made file per kind of hostile input (issue 2, section 5). Each starts from a valid
 * file built by elf-builder (checked against readelf first) and breaks one thing.
 */

const tmp = mkdtempSync(join(tmpdir(), 'abi-gate-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sample = (): BuiltElf => buildElf(sampleSpec());

function errorOf(entry: ScanEntry | null): string {
  expect(entry).not.toBeNull();
  const error = (entry as { error?: string }).error;
  expect(error, 'expected an error entry').toBeTypeOf('string');
  expect(error).toMatch(/^malformed ELF: /);
  expect(error).not.toMatch(/\n/);
  return error as string;
}

const scan = (buf: Buffer): ScanEntry | null => scanBuffer(buf, 'hostile.so');
const put32 = (buf: Buffer, at: number, v: number): void => void buf.writeUInt32LE(v >>> 0, at);
const put16 = (buf: Buffer, at: number, v: number): void => void buf.writeUInt16LE(v, at);
const put64 = (buf: Buffer, at: number, v: bigint): void => void buf.writeBigUInt64LE(v, at);

describe('the builder makes real ELF (readelf agrees)', () => {
  for (const [label, spec] of [
    ['ELF64 LE with sections', sampleSpec()],
    ['ELF32 BE with sections', sampleSpec({ class: 32, endian: 'big', machine: 20 })],
    ['ELF64 BE s390x (8-byte DT_HASH words)', sampleSpec({ endian: 'big', machine: 22 })],
  ] as const) {
    it(label, () => {
      const built = buildElf(spec);
      const path = join(tmp, `${label.replace(/\W+/g, '-')}.so`);
      writeFileSync(path, built.buf);
      const entry = scan(built.buf) as ScannedFile;
      expect(entry.versionNeeds).toEqual(readelfVersions(path).needs);
      expect(entry.needed).toEqual(readelfDynamic(path).needed);
      expect(entry.runpath).toEqual(readelfDynamic(path).runpath);
      const syms = readelfDynSyms(path);
      expect(syms.find((s) => s.name === 'fcntl64')?.version).toBe('GLIBC_2.28');
      expect(entry.requires).toEqual({ GLIBC: '2.28', GLIBCXX: '3.4.21', CXXABI: '1.3.9' });
      expect(entry.culprits).toContainEqual({ symbol: 'fcntl64', version: 'GLIBC_2.28', library: 'libc.so.6' });
      expect(entry.node).toEqual({ napi: true, moduleVersion: null, registration: 'export' });
      expect(entry.versionDefs).toEqual(readelfVersions(path).defs);
      expect(entry.versionDefs).toEqual(['SAMPLE_1.0', 'SAMPLE_2.0']);
      const stripped = scan(stripSectionHeaders(built.buf)) as ScannedFile;
      expect({ ...stripped, sectionHeaders: true, bytesRead: 0 }).toEqual({ ...entry, bytesRead: 0 });
    });
  }
});

describe('hostile input gives one malformed-ELF line', () => {
  it('a file truncated inside the ELF header', () => {
    expect(errorOf(scan(sample().buf.subarray(0, 40)))).toMatch(/truncated ELF header/);
  });

  it('a file truncated before its tables', () => {
    const { buf, at } = sample();
    expect(errorOf(scan(buf.subarray(0, at.dynamic + 8)))).toMatch(/runs past the end of the file/);
  });

  it('an unknown ELF class', () => {
    const { buf } = sample();
    buf[4] = 7;
    expect(errorOf(scan(buf))).toMatch(/unknown ELF class 7/);
  });

  it('program headers past EOF', () => {
    const { buf } = sample();
    put64(buf, 32, BigInt(buf.length - 10));
    expect(errorOf(scan(buf))).toMatch(/program header table .* runs past the end/);
  });

  it('a 64-bit offset above 2^53', () => {
    const { buf } = sample();
    put64(buf, 32, 0xffff_ffff_ffff_fff0n);
    expect(errorOf(scan(buf))).toMatch(/e_phoff is out of range/);
  });

  it('zero e_phentsize: the loader refuses it before reading a program header', () => {
    const { buf } = sample();
    put16(buf, 54, 0);
    const entry = scan(buf) as ScannedFile;
    expect(entry.refusals?.map((r) => r.rule)).toEqual(['phentsize']);
    expect(entry.refusals?.[0]?.message).toMatch(/ELF file's phentsize not the expected size \(0, expected 56/);
  });

  it('zero e_shentsize', () => {
    const { buf } = sample();
    put16(buf, 58, 0);
    expect(errorOf(scan(buf))).toMatch(/e_shentsize 0/);
  });

  it('zero sh_entsize on .dynsym', () => {
    const { buf, at } = sample();
    put64(buf, at.shdrs + 2 * 64 + 56, 0n);
    expect(errorOf(scan(buf))).toMatch(/\.dynsym sh_entsize is 0/);
  });

  it('a huge section count (extended numbering) is capped by the file size before allocating', () => {
    const { buf, at } = sample();
    put16(buf, 60, 0);
    put64(buf, at.shdrs + 32, 0xffff_ffffn); // section 0's sh_size carries the count
    expect(errorOf(scan(buf))).toMatch(/4294967295 section headers .* do not fit/);
  });

  it('a huge symbol count from DT_HASH (section-stripped)', () => {
    const { buf, at } = sample();
    put32(buf, at.hash + 4, 0x7fffffff);
    expect(errorOf(scan(stripSectionHeaders(buf)))).toMatch(/claims 2147483647 symbols/);
  });

  it('a DT_VERNEEDNUM count that outruns the vn_next chain', () => {
    const { buf, at, dynamicIndex } = sample();
    put64(buf, at.dynamic + (dynamicIndex.VERNEEDNUM ?? 0) * 16 + 8, 3n);
    expect(errorOf(scan(stripSectionHeaders(buf)))).toMatch(/count 3 outruns the vn_next chain \(2 records\)/);
  });

  it('a huge DT_VERNEEDNUM', () => {
    const { buf, at, dynamicIndex } = sample();
    put64(buf, at.dynamic + (dynamicIndex.VERNEEDNUM ?? 0) * 16 + 8, 0xffff_ffffn);
    expect(errorOf(scan(stripSectionHeaders(buf)))).toMatch(/count 4294967295 does not fit/);
  });

  it('a vn_cnt that outruns its vna_next chain', () => {
    const { buf, at } = sample();
    put16(buf, at.verneed + 2, 5);
    expect(errorOf(scan(buf))).toMatch(/vn_cnt 5 of libstdc\+\+\.so\.6 outruns its vna_next chain \(2 entries\)/);
  });

  it('a vna_next chain that revisits an entry', () => {
    const { buf, at } = sample();
    // Second vernaux of the first record points back at the first: 0xfffffff0 is -16 to a 32-bit loader.
    const built32 = buildElf(sampleSpec({ class: 32 }));
    const second = built32.at.verneed + 16 + 16;
    put32(built32.buf, second + 12, 0xfffffff0);
    put16(built32.buf, built32.at.verneed + 2, 5); // a count that does not stop the walk first
    expect(errorOf(scan(built32.buf))).toMatch(/vna_next chain revisits offset 0x10/);
    // In a 64-bit file the same delta simply lands past the table.
    put32(buf, at.verneed + 32 + 12, 0xfffffff0);
    put16(buf, at.verneed + 2, 5);
    expect(errorOf(scan(buf))).toMatch(/runs past the end of the table/);
  });

  it('a vn_next chain that revisits a record', () => {
    const built = buildElf(sampleSpec({ class: 32 }));
    // The second record's vn_next points back at the first (-48 modulo 2^32).
    const secondRecord = built.at.verneed + 16 + 2 * 16;
    put32(built.buf, secondRecord + 12, 0x100000000 - 48);
    put32(built.buf, built.at.shdrs + 4 * 40 + 28, 3); // sh_info: the count says 3 records
    expect(errorOf(scan(built.buf))).toMatch(/vn_next chain revisits offset 0x0/);
  });

  it('a vd_cnt that outruns its vda_next chain', () => {
    const { buf, at } = sample();
    put16(buf, at.verdef + 20 + 8 + 6, 4); // the second verdef has one verdaux
    expect(errorOf(scan(buf))).toMatch(/vd_cnt 4 of index 6 outruns its vda_next chain \(1 entries\)/);
  });

  it('a DT_VERDEFNUM count that outruns the vd_next chain', () => {
    const { buf, at, dynamicIndex } = sample();
    put64(buf, at.dynamic + (dynamicIndex.VERDEFNUM ?? 0) * 16 + 8, 7n);
    expect(errorOf(scan(stripSectionHeaders(buf)))).toMatch(/DT_VERDEF: count 7 outruns the vd_next chain \(3 records\)/);
  });

  it('a vd_next chain that revisits a record', () => {
    const built = buildElf(sampleSpec({ class: 32 }));
    const last = built.at.verdef + 20 + 8 + 20 + 8;
    put32(built.buf, last + 16, 0x100000000 - (20 + 8)); // back to the second record
    put32(built.buf, built.at.shdrs + 7 * 40 + 28, 4);
    expect(errorOf(scan(built.buf))).toMatch(/vd_next chain revisits offset 0x1c/);
  });

  it('a vda_next chain that revisits an entry of its own verdef', () => {
    const built = buildElf(sampleSpec({ class: 32 }));
    // SAMPLE_2.0's verdef sits at 56 with its verdaux entries at 76 and 84; the second points back.
    put32(built.buf, built.at.verdef + 84 + 4, 0x100000000 - 8);
    put16(built.buf, built.at.verdef + 56 + 6, 5);
    expect(errorOf(scan(built.buf))).toMatch(/vda_next chain revisits offset 0x4c/);
  });

  it('verdefs that all share one long verdaux chain: work stays bounded by the file size', () => {
    // Sharing is legal (see versions.test.ts) and no single chain loops here, but record i walks
    // on through the verdaux of every later record: 100 records cost 5,150 steps in a few KiB.
    const n = 100;
    const built = buildElf(
      sampleSpec({
        verdef: Array.from({ length: n }, (_, i) => ({ name: `V_${i}`, index: i === 0 ? 1 : i + 6, base: i === 0 })),
      }),
    );
    for (let i = 0; i < n; i += 1) {
      const record = built.at.verdef + i * 28; // 20-byte verdef + its one 8-byte verdaux
      put16(built.buf, record + 6, n - i);
      if (i < n - 1) put32(built.buf, record + 20 + 4, 28);
    }
    expect(errorOf(scan(built.buf))).toMatch(/\.gnu\.version_d: chains take more than \d+ steps, more than the file size allows/);
  });

  it('a string offset past the string table', () => {
    const { buf, at } = sample();
    put32(buf, at.verneed + 16 + 8, 0x7fff0000);
    expect(errorOf(scan(buf))).toMatch(/vna_name: string offset 2147418112 is past the end of the string table/);
  });

  it('an unterminated string', () => {
    const { buf, at } = sample();
    // Overwrite the NUL ending the last string of .dynstr.
    const dynstrEnd = at.dynstr + buf.readUInt32LE(at.shdrs + 64 + 32) - 1;
    buf[dynstrEnd] = 0x41;
    expect(errorOf(scan(buf))).toMatch(/is not NUL-terminated/);
  });

  it('a versym index that points nowhere', () => {
    const { buf, at } = sample();
    put16(buf, at.versym + 2 * 2, 9);
    expect(errorOf(scan(buf))).toMatch(/symbol 2 has version index 9, which no verneed or verdef entry defines/);
  });

  it('a dynamic table with no DT_NULL', () => {
    const { buf, at, dynamicIndex } = sample();
    const nullAt = at.dynamic + (dynamicIndex.NULL ?? 0) * 16;
    put64(buf, nullAt, 0x7000_0000n); // an unknown tag instead of DT_NULL
    expect(errorOf(scan(buf))).toMatch(/dynamic table \(\d+ entries\) has no DT_NULL/);
  });

  it('a table address outside every PT_LOAD', () => {
    const { buf, at, dynamicIndex } = sample();
    put64(buf, at.dynamic + (dynamicIndex.VERNEED ?? 0) * 16 + 8, BigInt(BASE_VADDR + 0x100000));
    expect(errorOf(scan(stripSectionHeaders(buf)))).toMatch(/DT_VERNEED address 0x110000 is not inside any PT_LOAD/);
  });

  it('offset + size overflowing past the file', () => {
    const { buf, at } = sample();
    put64(buf, at.shdrs + 4 * 64 + 24, 0x1f_ffff_ffff_fff0n); // .gnu.version_r sh_offset near 2^53
    expect(errorOf(scan(buf))).toMatch(/runs past the end of the file/);
  });

  it('a section table that points somewhere else than the dynamic table (a forged .gnu.version_r)', () => {
    const { buf, at } = sample();
    // Point the section at the second verneed record: readelf would then see only libc.so.6.
    put64(buf, at.shdrs + 4 * 64 + 24, BigInt(at.verneed + 16 + 2 * 16));
    expect(errorOf(scan(buf))).toMatch(/\.gnu\.version_r section at 0x[0-9a-f]+ is not the table DT_VERNEED points at/);
  });

  it('an unterminated PT_INTERP', () => {
    const built = buildElf(sampleSpec({ interp: '/lib64/ld-linux-x86-64.so.2' }));
    const interpAt = built.at.phdrs + 3 * 56;
    built.buf[interpAt + '/lib64/ld-linux-x86-64.so.2'.length] = 0x41;
    expect(errorOf(scan(built.buf))).toMatch(/PT_INTERP path is not NUL-terminated/);
  });
});
