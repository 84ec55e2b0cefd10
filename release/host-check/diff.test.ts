import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffHostRequirements } from './diff.js';
import type { HostRequirements } from './requirements.js';
import { FIXTURES, releaseRequirements } from './test-support/releases.js';

const base: HostRequirements = {
  machine: 'x86_64',
  libc: 'glibc',
  kernel: { version: '2.6.32', forcedBy: [{ path: 'node', symbols: [] }] },
  floors: [{ family: 'GLIBC', library: 'libc.so.6', version: '2.17', forcedBy: [{ path: 'node', symbols: ['memcpy'] }] }],
  libraries: [{ name: 'libc.so.6', versions: [], neededBy: [{ path: 'node', symbols: [] }] }],
};

describe('doctor diff of the host check', () => {
  it('names a risen floor with what forces it, a new kernel floor and a new library', () => {
    const next: HostRequirements = {
      ...base,
      kernel: { version: '3.2.0', forcedBy: [{ path: 'node', symbols: [] }] },
      floors: [{ family: 'GLIBC', library: 'libc.so.6', version: '2.28', forcedBy: [{ path: 'node', symbols: ['fcntl64'] }] }],
      libraries: [...base.libraries, { name: 'libz.so.1', versions: [], neededBy: [{ path: 'x.node', symbols: [] }] }],
    };
    expect(diffHostRequirements(base, next).map((c) => c.message)).toEqual([
      'the host check now asks for Linux kernel 3.2.0, was 2.6.32: node',
      'the host check now asks for GLIBC 2.28, was 2.17: node (fcntl64)',
      'the host check now asks for libz.so.1: x.node',
    ]);
    expect(diffHostRequirements(next, base).map((c) => c.change)).toEqual(['fell', 'fell', 'removed']);
    expect(diffHostRequirements(base, base)).toEqual([]);
  });

  it('from real fixtures: a module needing GLIBC 2.34 raises the floor, naming it', () => {
    const old = releaseRequirements({ 'a.node': join(FIXTURES, 'native', 'glibc-2.2.5', 'addon.node') });
    const next = releaseRequirements({ 'a.node': join(FIXTURES, 'native', 'glibc-2.34-pthread', 'addon.node') });
    expect(diffHostRequirements(old, next).map((c) => c.message)).toEqual(['the host check now asks for GLIBC 2.34, was 2.2.5: a.node (pthread_create, pthread_join)']);
  });
});
