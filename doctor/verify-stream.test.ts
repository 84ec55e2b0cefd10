import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanFile } from '../abi-gate/index.js';
import { buildNodeLikeElves } from '../abi-gate/test-support/index.js';
import type { ScanEntry } from '../abi-gate/index.js';
import { DEFAULT_LIMITS } from './verify-types.js';
import { readTarballFacts } from './verify-stream.js';

const tmp = mkdtempSync(join(tmpdir(), 'doctor-stream-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function comparable(entry: ScanEntry | null | undefined): unknown {
  if (entry === null || entry === undefined) return entry;
  const { bytesRead: _bytesRead, path: _path, ...rest } = entry as ScanEntry & { bytesRead?: number };
  return rest;
}

describe('readTarballFacts keeps only what the ELF scan reads', () => {
  it('scans a node-like layout from its kept parts, and again in full when the guess was wrong', async () => {
    const { big, misleading } = buildNodeLikeElves(tmp);
    const root = join(tmp, 'tree');
    mkdirSync(join(root, 'top', 'lib'), { recursive: true });
    copyFileSync(misleading, join(root, 'top', 'lib', 'a-misleading.so'));
    copyFileSync(big, join(root, 'top', 'lib', 'b-big.so'));
    const tarball = join(tmp, 'top.tar.gz');
    execFileSync('tar', ['--sort=name', '-C', root, '-czf', tarball, 'top']);
    const facts = await readTarballFacts(tarball, DEFAULT_LIMITS);
    expect([...facts.binaries.keys()]).toEqual(['top/lib/a-misleading.so', 'top/lib/b-big.so']);
    expect(comparable(facts.binaries.get('top/lib/a-misleading.so'))).toEqual(comparable(scanFile(misleading)));
    expect(comparable(facts.binaries.get('top/lib/b-big.so'))).toEqual(comparable(scanFile(big)));
    expect(facts.binaries.get('top/lib/a-misleading.so')).not.toHaveProperty('error');
  }, 60_000);
});
