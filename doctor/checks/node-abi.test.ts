import { describe, expect, it } from 'vitest';
import { fixture, readelf } from '../test-support/fixtures.js';
import { TOP, writeServerTarball } from '../test-support/hostile-tarballs.js';
import { checkOf, failedIds, useTempDir, verifyOne } from '../test-support/run.js';

const dir = useTempDir('node-abi');

async function withAddon(name: string, fixturePath: string): Promise<string> {
  const bytes = await fixture(fixturePath);
  return writeServerTarball(dir(), (e) => [...e, { path: `${TOP}/node_modules/a/build/Release/a.node`, mode: 0o755, content: bytes }], name);
}

describe('node-abi', () => {
  it('fails an ABI-specific module built for another NODE_MODULE_VERSION', async () => {
    // The bundled stub says node 16.20.2 (NODE_MODULE_VERSION 93); the addon exports v115 (node 20).
    expect(readelf(['--dyn-syms', '-W'], 'elf/abi-addon-v115.node')).toMatch(/node_register_module_v115/);
    const tarball = await verifyOne(await withAddon('v115', 'elf/abi-addon-v115.node'), { policy: 'none' });
    const check = checkOf(tarball, 'node-abi');
    expect(check.ok).toBe(false);
    expect(check.details?.[0]).toMatch(/a\.node: built for NODE_MODULE_VERSION 115, bundled node 16\.20\.2 needs 93/);
    // The appended binary has no folder entries before it: not the canonical format either.
    expect(failedIds(tarball)).toEqual(['format', 'manifest', 'node-abi']);
  });

  it('passes an N-API module whatever the node', async () => {
    expect(readelf(['--dyn-syms', '-W'], 'elf/napi-addon.node')).toMatch(/napi_register_module_v1/);
    const check = checkOf(await verifyOne(await withAddon('napi', 'elf/napi-addon.node'), { policy: 'none' }), 'node-abi');
    expect(check.ok).toBe(true);
    expect(check.message).toBe('0 ABI-specific and 1 N-API modules match node 16.20.2 (NODE_MODULE_VERSION 93)');
  });
  it('fails a classic NODE_MODULE addon, whose NODE_MODULE_VERSION cannot be determined', async () => {
    expect(readelf(['--dyn-syms', '-W'], 'elf/fail-closed/classic-node-module.node')).toMatch(/UND node_module_register/);
    const check = checkOf(await verifyOne(await withAddon('classic', 'elf/fail-closed/classic-node-module.node'), { policy: 'none' }), 'node-abi');
    expect(check.ok).toBe(false);
    expect(check.details?.[0]).toMatch(/a\.node: an ABI-specific addon \(registers through node_module_register\) whose NODE_MODULE_VERSION cannot be determined/);
  });

  it('passes a classic napi_module_register addon as N-API', async () => {
    const check = checkOf(await verifyOne(await withAddon('napi-classic', 'elf/fail-closed/classic-napi-module.node'), { policy: 'none' }), 'node-abi');
    expect(check.ok).toBe(true);
    expect(check.message).toMatch(/0 ABI-specific and 1 N-API modules/);
  });
});
