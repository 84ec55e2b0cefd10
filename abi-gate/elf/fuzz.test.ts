import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MalformedElfError } from '../errors.js';
import { FORMAT_SNIFF_BYTES } from '../format.js';
import { scanSource } from '../scan-file.js';
import { buildElf, sampleSpec } from '../test-support/elf-builder.js';
import { ELF_FIXTURES } from '../test-support/fixtures.js';
import { stripSectionHeaders } from '../test-support/strip-sections.js';
import { BufferSource } from './byte-source.js';
import { readElf } from './elf-file.js';
import { READ_SLACK_BYTES } from './reader.js';

/**
 * Property test over mutations of real ELF files: whatever the bytes, a scan returns an entry
 * (never throws), a failure is one `malformed ELF:` line, and the reader reads about the file's
 * size at most. Seeded, so a failure reproduces; the iteration count keeps it to seconds.
 */

/** mulberry32: small, seedable, good enough to spread mutations. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = ['symver-glibc-2.28.so', 'cxx-glibcxx-3.4.21.so', 's390x-hello.so', 'arm-gnueabihf-hello.so', 'weak-glibc-2.26.so', 'relr-dt-relr.so', 'sysv-hash-glibc-2.28.so'];
const ITERATIONS_PER_INPUT = 300;

function inputs(): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [];
  for (const name of SEEDS) {
    let buf: Buffer;
    try {
      buf = readFileSync(join(ELF_FIXTURES, name));
    } catch {
      continue;
    }
    out.push([name, buf], [`${name} (section-stripped)`, stripSectionHeaders(buf)]);
  }
  const built = buildElf(sampleSpec()).buf;
  out.push(['builder sample', built], ['builder sample (section-stripped)', stripSectionHeaders(built)]);
  const built32 = buildElf(sampleSpec({ class: 32, endian: 'big', machine: 20 })).buf;
  out.push(['builder ELF32 BE', built32], ['builder ELF32 BE (section-stripped)', stripSectionHeaders(built32)]);
  return out;
}

const NASTY = [0, 1, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 0x80000000, 16, 0x10000];

function mutate(src: Buffer, next: () => number): Buffer {
  const pick = (n: number): number => Math.floor(next() * n);
  let buf = Buffer.from(src);
  const rounds = 1 + pick(4);
  for (let k = 0; k < rounds; k += 1) {
    // Headers and dynamic tables sit in the first few KiB, section headers at the end.
    const where = next();
    const pos =
      where < 0.5 ? pick(Math.min(buf.length, 4096)) : where < 0.75 ? Math.max(0, buf.length - 1 - pick(Math.min(buf.length, 2048))) : pick(buf.length);
    const kind = next();
    if (kind < 0.35) {
      buf[pos] = (buf[pos] ?? 0) ^ (1 << pick(8));
    } else if (kind < 0.45) {
      buf = buf.subarray(0, pick(buf.length));
      if (buf.length === 0) return buf;
    } else if (kind < 0.8) {
      const at = pos & ~3;
      if (at + 4 <= buf.length) buf.writeUInt32LE((NASTY[pick(NASTY.length)] ?? 0) >>> 0, at);
    } else if (kind < 0.9) {
      const at = pos & ~7;
      if (at + 8 <= buf.length) buf.writeBigUInt64LE(next() < 0.5 ? 0xffff_ffff_ffff_ffffn : BigInt(pick(0x7fffffff)) << 20n, at);
    } else {
      const at = pos & ~1;
      if (at + 2 <= buf.length) buf.writeUInt16LE(pick(3) === 0 ? 0 : pick(0x10000), at);
    }
  }
  return buf;
}

describe('scanSource over mutated ELF files', () => {
  const all = inputs();

  it('has its inputs', () => {
    expect(all.length).toBeGreaterThanOrEqual(10);
  });

  for (const [name, original] of all) {
    it(`${name}: ${ITERATIONS_PER_INPUT} seeded mutations`, () => {
      const next = rng(0xab1 + original.length);
      const outcomes = { ok: 0, malformed: 0, notBinary: 0 };
      for (let i = 0; i < ITERATIONS_PER_INPUT; i += 1) {
        const buf = mutate(original, next);
        const source = new BufferSource(buf);
        let entry;
        try {
          entry = scanSource(source, name);
        } catch (error) {
          throw new Error(`iteration ${i}: scanSource threw ${String(error)}`);
        }
        expect(source.bytesRead).toBeLessThanOrEqual(buf.length + READ_SLACK_BYTES + FORMAT_SNIFF_BYTES);
        if (entry === null) {
          outcomes.notBinary += 1;
          continue;
        }
        const error = (entry as { error?: string }).error;
        if (error === undefined) {
          outcomes.ok += 1;
          continue;
        }
        outcomes.malformed += 1;
        expect(error).toMatch(/^malformed ELF: /);
        expect(error).not.toContain('\n');
        // The reader itself throws only MalformedElfError: no RangeError or TypeError slips
        // through to be dressed up by scanSource's last-resort catch.
        try {
          readElf(new BufferSource(buf), buf.subarray(0, FORMAT_SNIFF_BYTES));
        } catch (thrown) {
          if (!(thrown instanceof MalformedElfError)) throw new Error(`iteration ${i}: ${String(thrown)}`);
        }
      }
      // Both outcomes occur, or the mutations are not reaching the tables.
      expect(outcomes.ok).toBeGreaterThan(0);
      expect(outcomes.malformed).toBeGreaterThan(0);
    });
  }
});
