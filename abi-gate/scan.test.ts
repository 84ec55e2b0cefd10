import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkFiles } from './check.js';
import { isToolError } from './errors.js';
import { loadPolicy } from './policy.js';
import { scanPaths } from './scan.js';
import { binutilsMaxRequires, readelfVersions } from './test-support/binutils.js';

const tmp = mkdtempSync(join(tmpdir(), 'gate-scan-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A release-like tree: one top folder, a binary with its library shipped through $ORIGIN. */
function release(name: string, withLib = true): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'server', 'bin'), { recursive: true });
  cpSync('fixtures/elf/runpath-origin', join(root, 'server', 'native'), { recursive: true });
  if (!withLib) rmSync(join(root, 'server', 'native', 'lib'), { recursive: true });
  cpSync('fixtures/elf/symver-glibc-2.28.so', join(root, 'server', 'bin', 'helper.so'));
  writeFileSync(join(root, 'server', 'product.json'), '{"commit":"abc"}');
  return root;
}

describe('scanPaths over tarballs', () => {
  it('reports binaries inside a .tar.gz as <tarball>:<entry>, as the extracted folder would', async () => {
    const root = release('tgz');
    const tarball = join(tmp, 'release.tar.gz');
    execFileSync('tar', ['--sort=name', '-C', root, '-czf', tarball, 'server']);
    const report = await scanPaths([tarball]);
    expect(report.files.map((f) => f.path)).toEqual([
      `${tarball}:server/bin/helper.so`,
      `${tarball}:server/native/lib/libfoo.so.1`,
      `${tarball}:server/native/needs-libfoo.so`,
    ]);
    const folder = await scanPaths([root]);
    expect(report.files.map((f) => f.requires)).toEqual(folder.files.map((f) => f.requires));
    expect(report.summary.requires.GLIBC).toBe(binutilsMaxRequires(readelfVersions('fixtures/elf/symver-glibc-2.28.so').needs).GLIBC);
    expect(report.tree.has('server/native/lib/libfoo.so.1')).toBe(true);
    expect(report.tree.has('native/lib/libfoo.so.1')).toBe(true);
    expect(report.tree.has('server/product.json')).toBe(true);
    const result = checkFiles(report.files, loadPolicy('centos7'), report.tree);
    expect(result.violations.map((v) => `${v.kind} ${v.path}`)).toEqual([`version ${tarball}:server/bin/helper.so`]);
  });

  it('finds a library missing from a tarball, even when the same path exists in another scanned root', async () => {
    const full = release('full');
    const bare = release('bare', false);
    const tarball = join(tmp, 'bare.tgz');
    execFileSync('tar', ['-C', bare, '-czf', tarball, '.']);
    const report = await scanPaths([tarball, full]);
    const result = checkFiles(report.files, loadPolicy('centos7'), report.tree);
    const library = result.violations.filter((v) => v.kind === 'library');
    expect(library.map((v) => v.path)).toEqual([`${tarball}:server/native/needs-libfoo.so`]);
  });

  it('reports a truncated tarball as an unreadable entry and keeps the other results', async () => {
    const root = release('cut');
    const whole = join(tmp, 'whole.tar.gz');
    execFileSync('tar', ['-C', root, '-czf', whole, 'server']);
    const cut = join(tmp, 'cut.tar.gz');
    const bytes = readFileSync(whole);
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    const report = await scanPaths([cut, 'fixtures/elf/symver-glibc-2.17.so']);
    const bad = report.files.find((f) => f.path === cut);
    expect(bad).toMatchObject({ format: null });
    expect(bad && 'error' in bad ? bad.error : '').toMatch(/gzip stream is truncated/);
    expect(report.files.some((f) => f.path === 'fixtures/elf/symver-glibc-2.17.so')).toBe(true);
  });

  it('throws a usage error naming a path that does not exist', async () => {
    const error = await scanPaths([join(tmp, 'nowhere')]).catch((e: unknown) => e);
    expect(isToolError(error) && error.exitCode === 2 && error.message.includes('nowhere: no such file or folder')).toBe(true);
  });
});

describe('scanPaths over folders', () => {
  it('walks recursively in path order, lists symlinks without following them', async () => {
    const root = join(tmp, 'links');
    mkdirSync(join(root, 'b'), { recursive: true });
    cpSync('fixtures/elf/napi-addon.node', join(root, 'b', 'addon.node'));
    cpSync('fixtures/elf/i686-hello.so', join(root, 'a.so'));
    execFileSync('ln', ['-s', 'b/addon.node', join(root, 'link.node')]);
    execFileSync('ln', ['-s', '/usr/lib', join(root, 'outside')]);
    const report = await scanPaths([root]);
    expect(report.files.map((f) => f.path)).toEqual([join(root, 'a.so'), join(root, 'b/addon.node')]);
    expect(report.tree.has('link.node')).toBe(true);
    expect(report.files[1]).toMatchObject({ node: { napi: true, moduleVersion: null } });
  });
});
