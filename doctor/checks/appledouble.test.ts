import { describe, expect, it } from 'vitest';
import { TOP, writeServerTarball, type RawEntry } from '../test-support/hostile-tarballs.js';
import { checkOf, failedIds, useTempDir, verifyOne } from '../test-support/run.js';

const dir = useTempDir('appledouble');

describe('appledouble', () => {
  it('passes a clean server', async () => {
    const tarball = await verifyOne(await writeServerTarball(dir()), { policy: 'none' });
    expect(checkOf(tarball, 'appledouble').ok).toBe(true);
  });

  const cases: [string, RawEntry, RegExp][] = [
    ['AppleDouble sibling', { path: `${TOP}/out/._server-main.js`, content: '\u0000\u0005\u0016\u0007' }, /out\/\._server-main\.js: AppleDouble file/],
    ['__MACOSX folder', { path: `${TOP}/__MACOSX/out/x`, content: 'x' }, /__MACOSX\/out\/x: __MACOSX\/ folder/],
    ['.DS_Store', { path: `${TOP}/extensions/.DS_Store`, content: 'Bud1' }, /extensions\/\.DS_Store: \.DS_Store/],
    [
      'LIBARCHIVE.xattr pax key',
      { path: `${TOP}/out/a.js`, content: 'x', pax: { 'LIBARCHIVE.xattr.com.apple.provenance': 'AQIAxBp=' } },
      /out\/a\.js: xattr pax header LIBARCHIVE\.xattr\.com\.apple\.provenance/,
    ],
    [
      'SCHILY.xattr pax key',
      { path: `${TOP}/out/b.js`, content: 'x', pax: { 'SCHILY.xattr.com.apple.quarantine': '0081;' } },
      /out\/b\.js: xattr pax header SCHILY\.xattr\.com\.apple\.quarantine/,
    ],
  ];

  it.each(cases)('fails on %s, and only appledouble (and format where it applies) fails', async (name, extra, detail) => {
    const file = await writeServerTarball(dir(), (entries) => [...entries, extra], name.replace(/\W+/g, '-'));
    const tarball = await verifyOne(file, { policy: 'none' });
    const check = checkOf(tarball, 'appledouble');
    expect(check.ok).toBe(false);
    expect(check.details?.some((d) => detail.test(d)), JSON.stringify(check.details)).toBe(true);
    // No manifest was written for these hand-made tarballs: manifest fails; xattr pax keys and a
    // folder without its entry are outside the release format too.
    const nonCanonical = extra.pax !== undefined || extra.path.includes('__MACOSX');
    expect(failedIds(tarball)).toEqual(nonCanonical ? ['appledouble', 'format', 'manifest'] : ['appledouble', 'manifest']);
  });
});
