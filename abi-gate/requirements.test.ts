import { describe, expect, it } from 'vitest';
import { compareVersions, effectiveVersion, maxRequires, requirementsOf, splitVersion } from './requirements.js';
import type { VersionNeed } from './types.js';

const need = (library: string, version: string, index: number, weak = false): VersionNeed => ({ library, version, index, weak });

describe('compareVersions', () => {
  it('compares per numeric component, not as text', () => {
    expect(compareVersions('2.17', '2.2.5')).toBe(1);
    expect(compareVersions('2.2.5', '2.17')).toBe(-1);
    expect(compareVersions('3.4.19', '3.4.21')).toBe(-1);
    expect(compareVersions('3.4.9', '3.4.19')).toBe(-1);
    expect(compareVersions('1.3.10', '1.3.9')).toBe(1);
    expect(compareVersions('2.3', '2.3.0')).toBe(0);
    expect(compareVersions('2.28', '2.28')).toBe(0);
  });
});

describe('splitVersion', () => {
  it('splits at the first underscore, like auditwheel', () => {
    expect(splitVersion('GLIBC_2.28')).toEqual({ family: 'GLIBC', version: '2.28' });
    expect(splitVersion('GLIBCXX_3.4.21')).toEqual({ family: 'GLIBCXX', version: '3.4.21' });
    expect(splitVersion('CXXABI_1.3.7')).toEqual({ family: 'CXXABI', version: '1.3.7' });
    expect(splitVersion('CXXABI_TM_1')).toEqual({ family: 'CXXABI', version: 'TM_1' });
    expect(splitVersion('GCC_4.8.0')).toEqual({ family: 'GCC', version: '4.8.0' });
    expect(splitVersion('GLIBC_PRIVATE')).toEqual({ family: 'GLIBC', version: 'PRIVATE' });
    expect(splitVersion('GLIBC_ABI_DT_RELR')).toEqual({ family: 'GLIBC', version: 'ABI_DT_RELR' });
    expect(splitVersion('OPENSSL_3.0.0')).toEqual({ family: 'OPENSSL', version: '3.0.0' });
    expect(splitVersion('V1')).toEqual({ family: 'V1', version: '' });
  });

  it('maps version-only ABI markers to their glibc release and leaves non-numbers out', () => {
    expect(effectiveVersion('GLIBC_ABI_DT_RELR')).toEqual({ family: 'GLIBC', version: '2.36' });
    expect(effectiveVersion('GLIBC_ABI_GNU2_TLS')).toEqual({ family: 'GLIBC', version: '2.42' });
    expect(effectiveVersion('GLIBC_ABI_GNU_TLS')).toEqual({ family: 'GLIBC', version: '2.42' });
    expect(effectiveVersion('GLIBC_PRIVATE')).toBeNull();
    expect(effectiveVersion('CXXABI_TM_1')).toBeNull();
    expect(effectiveVersion('GLIBC_ABI_SOMETHING_NEW')).toBeNull();
  });
});

describe('requirementsOf', () => {
  it('takes every non-weak entry, names the symbols at each family maximum and sorts them', () => {
    const needs = [
      need('libstdc++.so.6', 'GLIBCXX_3.4.21', 5),
      need('libstdc++.so.6', 'GLIBCXX_3.4.9', 6),
      need('libstdc++.so.6', 'CXXABI_TM_1', 7),
      need('libc.so.6', 'GLIBC_2.2.5', 2),
      need('libc.so.6', 'GLIBC_2.17', 3),
      need('libc.so.6', 'GLIBC_2.28', 4),
      need('libc.so.6', 'GLIBC_2.34', 8, true),
      need('libc.so.6', 'GLIBC_PRIVATE', 9),
    ];
    const refs = [
      { name: 'memcpy', versionIndex: 2 },
      { name: 'fcntl64', versionIndex: 4 },
      { name: '_Znwm', versionIndex: 6 },
      { name: 'b_sym', versionIndex: 5 },
      { name: 'a_sym', versionIndex: 5 },
      { name: 'pthread_create', versionIndex: 8 },
      { name: '__libc_enable_secure', versionIndex: 9 },
    ];
    const r = requirementsOf(needs, refs);
    expect(r.requires).toEqual({ GLIBC: '2.28', GLIBCXX: '3.4.21' });
    expect(Object.keys(r.requires)).toEqual(['GLIBC', 'GLIBCXX']);
    expect(r.culprits).toEqual([
      { symbol: 'fcntl64', version: 'GLIBC_2.28', library: 'libc.so.6' },
      { symbol: '__libc_enable_secure', version: 'GLIBC_PRIVATE', library: 'libc.so.6' },
      { symbol: 'a_sym', version: 'GLIBCXX_3.4.21', library: 'libstdc++.so.6' },
      { symbol: 'b_sym', version: 'GLIBCXX_3.4.21', library: 'libstdc++.so.6' },
      { symbol: null, version: 'CXXABI_TM_1', library: 'libstdc++.so.6' },
    ]);
  });

  it('names every symbol of a non-numeric entry, not only a maximum (GLIBC_PRIVATE, CXXABI_TM_1)', () => {
    const r = requirementsOf(
      [
        need('ld-linux-x86-64.so.2', 'GLIBC_PRIVATE', 2),
        need('libc.so.6', 'GLIBC_PRIVATE', 3),
        need('libstdc++.so.6', 'CXXABI_TM_1', 4),
        need('libc.so.6', 'GLIBC_PRIVATE', 5, true),
      ],
      [
        { name: '_dl_argv', versionIndex: 2 },
        { name: '__libc_enable_secure', versionIndex: 2 },
        { name: '__libc_dlopen_mode', versionIndex: 3 },
        { name: '_ITM_RU1', versionIndex: 4 },
        { name: 'weak_private', versionIndex: 5 },
      ],
    );
    expect(r.requires).toEqual({});
    expect(r.culprits).toEqual([
      { symbol: '__libc_enable_secure', version: 'GLIBC_PRIVATE', library: 'ld-linux-x86-64.so.2' },
      { symbol: '_dl_argv', version: 'GLIBC_PRIVATE', library: 'ld-linux-x86-64.so.2' },
      { symbol: '__libc_dlopen_mode', version: 'GLIBC_PRIVATE', library: 'libc.so.6' },
      { symbol: '_ITM_RU1', version: 'CXXABI_TM_1', library: 'libstdc++.so.6' },
    ]);
  });

  it('an entry no symbol uses still counts, with a null culprit (GLIBC_ABI_DT_RELR)', () => {
    const r = requirementsOf([need('libc.so.6', 'GLIBC_2.2.5', 2), need('libc.so.6', 'GLIBC_ABI_DT_RELR', 3)], [{ name: 'memcpy', versionIndex: 2 }]);
    expect(r.requires).toEqual({ GLIBC: '2.36' });
    expect(r.culprits).toEqual([{ symbol: null, version: 'GLIBC_ABI_DT_RELR', library: 'libc.so.6' }]);
  });

  it('the same version from two libraries gives culprits from both', () => {
    const r = requirementsOf(
      [need('libpthread.so.0', 'GLIBC_2.30', 2), need('libc.so.6', 'GLIBC_2.30', 3)],
      [{ name: 'pthread_x', versionIndex: 2 }],
    );
    expect(r.culprits).toEqual([
      { symbol: null, version: 'GLIBC_2.30', library: 'libc.so.6' },
      { symbol: 'pthread_x', version: 'GLIBC_2.30', library: 'libpthread.so.0' },
    ]);
  });

  it('weak entries never count, even when they are the only ones', () => {
    const r = requirementsOf([need('libc.so.6', 'GLIBC_2.26', 2, true)], [{ name: 'reallocarray', versionIndex: 2 }]);
    expect(r.requires).toEqual({});
    expect(r.culprits).toEqual([]);
  });

  it('other prefixes are families by name', () => {
    const r = requirementsOf([need('libssl.so.3', 'OPENSSL_3.0.0', 2), need('libz.so.1', 'ZLIB_1.2.9', 3), need('libgcc_s.so.1', 'GCC_4.8.0', 4)], []);
    expect(r.requires).toEqual({ GCC: '4.8.0', OPENSSL: '3.0.0', ZLIB: '1.2.9' });
  });
});

describe('maxRequires', () => {
  it('takes the numeric maximum per family over files', () => {
    expect(maxRequires([{ GLIBC: '2.17' }, { GLIBC: '2.2.5', GLIBCXX: '3.4.19' }, { GLIBCXX: '3.4.9', CXXABI: '1.3.7' }])).toEqual({
      GLIBC: '2.17',
      GLIBCXX: '3.4.19',
      CXXABI: '1.3.7',
    });
    expect(maxRequires([])).toEqual({});
  });
});
