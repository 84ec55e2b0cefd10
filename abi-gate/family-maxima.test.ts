import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { familyMaxima } from './family-maxima.js';
import { scanFile } from './scan-file.js';
import { binutilsMaxRequires, readelfDynSyms, readelfVersions, sortVersionMax } from './test-support/binutils.js';
import { ELF_FIXTURES } from './test-support/fixtures.js';
import type { ScanEntry } from './types.js';

const names = ['symver-glibc-2.17.so', 'symver-glibc-2.28.so', 'cxx-glibcxx-3.4.21.so', 'cxx-glibcxx-3.4.19.so'];
const entries = names.map((name) => scanFile(join(ELF_FIXTURES, name))).filter((e): e is ScanEntry => e !== null);

describe('familyMaxima', () => {
  it('takes the highest version per family and only the culprits of that version, per file', () => {
    const maxima = familyMaxima(entries, ['GLIBC', 'GLIBCXX', 'CXXABI', 'NOSUCH']);
    // binutils' answer: each file's maximum from readelf -V, then the highest of those by sort -V.
    const expected = (family: string): string | null =>
      sortVersionMax(names.flatMap((n) => binutilsMaxRequires(readelfVersions(join(ELF_FIXTURES, n)).needs)[family] ?? []));
    expect(maxima['GLIBC']?.version).toBe(expected('GLIBC'));
    expect(maxima['GLIBCXX']?.version).toBe(expected('GLIBCXX'));
    expect(maxima['CXXABI']?.version).toBe(expected('CXXABI'));
    expect(maxima).not.toHaveProperty('NOSUCH');

    const at228 = readelfDynSyms(join(ELF_FIXTURES, 'symver-glibc-2.28.so')).filter((s) => s.version === 'GLIBC_2.28').map((s) => s.name);
    expect(maxima['GLIBC']?.culprits.map((c) => [c.path, c.symbol])).toEqual(
      at228.sort().map((symbol) => [join(ELF_FIXTURES, 'symver-glibc-2.28.so'), symbol]),
    );
  });

  it('has nothing for files that are not scanned ELF', () => {
    expect(familyMaxima([{ path: 'x.node', format: 'elf', error: 'malformed ELF: truncated' }], ['GLIBC'])).toEqual({});
  });
});
