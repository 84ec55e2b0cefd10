import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { isToolError } from './errors.js';
import { loadPolicy } from './policy.js';

const tmp = mkdtempSync(join(tmpdir(), 'gate-policy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function failure(nameOrPath: string): { code: string; exitCode: number; line: string } {
  try {
    loadPolicy(nameOrPath);
  } catch (error) {
    if (isToolError(error)) return { code: error.code, exitCode: error.exitCode, line: error.toLine() };
    throw error;
  }
  throw new Error('expected loadPolicy to fail');
}

function write(name: string, content: string): string {
  const path = join(tmp, name);
  writeFileSync(path, content);
  return path;
}

describe('built-in policies', () => {
  it('centos7 carries the manylinux_2_17 values and answers to its aliases', () => {
    const policy = loadPolicy('centos7');
    expect(policy.arches.x86_64?.max).toMatchObject({ GLIBC: '2.17', GLIBCXX: '3.4.19', CXXABI: '1.3.7', GCC: '4.8.0' });
    expect(policy.arches.aarch64?.allowed.GLIBC).toEqual(['2.0', '2.17', '2.18']);
    expect(policy.arches.aarch64?.max.GCC).toBe('4.7.0');
    expect(policy.arches.i386?.allowed.GLIBC?.[0]).toBe('2.0');
    expect(policy.arches.arm?.allowed.CXXABI).toContain('ARM_1.3.3');
    expect(Object.keys(policy.arches).sort()).toEqual(['aarch64', 'arm', 'i386', 'ppc64', 'ppc64le', 's390x', 'x86_64']);
    expect(policy.libraryWhitelist).toContain('libX11.so.6');
    expect(policy.source).toContain('pypa/auditwheel');
    expect(loadPolicy('manylinux2014').arches).toEqual(policy.arches);
    expect(loadPolicy('manylinux_2_17').name).toBe('centos7');
  });

  it('manylinux_2_28 carries the RHEL 8 values', () => {
    const policy = loadPolicy('manylinux_2_28');
    expect(policy.arches.x86_64?.max).toMatchObject({ GLIBC: '2.28', GLIBCXX: '3.4.24', CXXABI: '1.3.11', GCC: '7.0.0' });
    expect(policy.arches.x86_64?.allowed.GLIBC).not.toContain('2.19');
    expect(policy.libraryWhitelist).toContain('libmvec.so.1');
  });

  it('both built-ins satisfy the published schema', () => {
    const require = createRequire(import.meta.url);
    const Ajv = require('ajv') as new (o: object) => { compile(s: unknown): (d: unknown) => boolean };
    const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync('abi-gate/policy.schema.json', 'utf8')));
    for (const name of ['centos7', 'manylinux_2_28']) {
      expect(validate(JSON.parse(readFileSync(`abi-gate/policies/${name}.json`, 'utf8')))).toBe(true);
    }
  });
});

describe('policy files', () => {
  it('loads a valid file', () => {
    const path = write('mine.json', JSON.stringify({ name: 'mine', libraryWhitelist: ['libc.so.6'], arches: { x86_64: { GLIBC: ['2.2.5', '2.17'] } } }));
    const policy = loadPolicy(path);
    expect(policy).toMatchObject({ name: 'mine', libc: ['glibc', 'static', 'none'] });
    expect(policy.arches.x86_64?.max.GLIBC).toBe('2.17');
  });

  it('gives one-line usage errors for a missing file, bad JSON, a schema violation and an unknown name', () => {
    expect(failure(join(tmp, 'nope.json'))).toMatchObject({ code: 'POLICY_UNREADABLE', exitCode: 2 });
    expect(failure(write('bad.json', '{ "name": '))).toMatchObject({ code: 'POLICY_JSON', exitCode: 2 });
    const wrongType = failure(write('schema.json', JSON.stringify({ name: 'x', libraryWhitelist: [], arches: { x86_64: { GLIBC: '2.17' } } })));
    expect(wrongType).toMatchObject({ code: 'POLICY_SCHEMA', exitCode: 2 });
    expect(wrongType.line).toContain('arches.x86_64.GLIBC must be array');
    expect(failure(write('missing-field.json', JSON.stringify({ name: 'x', arches: {} }))).line).toContain("'libraryWhitelist'");
    expect(failure('centos8')).toMatchObject({ code: 'POLICY_UNKNOWN', exitCode: 2 });
    for (const f of [failure('centos8'), wrongType]) expect(f.line).not.toContain('\n');
  });
});
