import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOP, writeServerTarball, type RawEntry } from '../test-support/hostile-tarballs.js';
import { verify } from '../verify.js';
import type { CheckResult } from '../report-types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'doctor-paths-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pathsCheck(name: string, extra: RawEntry[]): Promise<CheckResult> {
  const file = await writeServerTarball(dir, (entries) => [...entries, ...extra], name);
  const report = await verify([file], { policy: 'none' });
  const check = report.tarballs[0]?.checks.find((c) => c.id === 'paths');
  if (check === undefined) throw new Error('no paths check');
  return check;
}

describe('paths', () => {
  it('passes the minimal server, including a symlink that stays inside', async () => {
    const check = await pathsCheck('clean', [{ path: `${TOP}/bin/alias`, type: 'symlink', linkpath: 'remote-ai-server' }]);
    expect(check.ok).toBe(true);
  });

  const cases: [string, RawEntry[], RegExp][] = [
    ['absolute', [{ path: '/etc/cron.d/evil', content: 'x' }], /^\/etc\/cron\.d\/evil: absolute/],
    ['dotdot', [{ path: `${TOP}/../../.bashrc`, content: 'x' }], /\.bashrc: '\.\.' component/],
    ['escaping-symlink', [{ path: `${TOP}/out/evil`, type: 'symlink', linkpath: '../../../etc/passwd' }], /out\/evil: symlink to \.\.\/\.\.\/\.\.\/etc\/passwd resolves above/],
    ['absolute-symlink', [{ path: `${TOP}/out/evil`, type: 'symlink', linkpath: '/etc/passwd' }], /out\/evil: symlink to the absolute path \/etc\/passwd/],
    ['symlink-to-parent-of-top', [{ path: `${TOP}/up`, type: 'symlink', linkpath: '..' }], /\/up: symlink to \.\. resolves to \., outside the top folder/],
    ['escaping-hardlink', [{ path: `${TOP}/out/hard`, type: 'hardlink', linkpath: '../etc/shadow' }], /out\/hard: .*'\.\.' component|out\/hard: hard link to \.\.\/etc\/shadow resolves above/],
    ['hardlink-outside-top', [{ path: `${TOP}/out/hard`, type: 'hardlink', linkpath: 'other-folder/secret' }], /out\/hard: hard link to other-folder\/secret resolves to other-folder\/secret, outside/],
    [
      // `a -> ..` stays inside on its own (it names the top folder); `a/b -> ..` then resolves
      // through `a` to the top folder's parent, which a check of `a/b` alone would never see.
      'symlink-chain',
      [
        { path: `${TOP}/sub/`, type: 'directory' },
        { path: `${TOP}/sub/a`, type: 'symlink', linkpath: '..' },
        { path: `${TOP}/sub/a/b`, type: 'symlink', linkpath: '..' },
      ],
      /sub\/a\/b: symlink to \.\. resolves to \., outside the top folder/,
    ],
    [
      'write-through-symlink',
      [
        { path: `${TOP}/escape`, type: 'symlink', linkpath: '../..' },
        { path: `${TOP}/escape/x`, content: 'pwned' },
      ],
      /escape\/x: is written through a symlink that resolves above the extraction folder/,
    ],
    ['char-device', [{ path: `${TOP}/dev-null`, type: 'chardev', devmajor: 1, devminor: 3 }], /dev-null: character device/],
    ['block-device', [{ path: `${TOP}/sda`, type: 'blockdev', devmajor: 8, devminor: 0 }], /sda: block device/],
    ['fifo', [{ path: `${TOP}/pipe`, type: 'fifo' }], /pipe: FIFO/],
    ['setuid', [{ path: `${TOP}/su`, mode: 0o4755, content: 'x' }], /su: setuid bit/],
    ['setgid', [{ path: `${TOP}/sg`, mode: 0o2755, content: 'x' }], /sg: setgid bit/],
    ['duplicate', [{ path: `${TOP}/out/server-main.js`, content: 'replaced later' }], /out\/server-main\.js: appears twice/],
    ['depth', [{ path: `${TOP}/${Array.from({ length: 1024 }, () => 'd').join('/')}`, content: 'deep' }], /: 1025 levels deep \(more than 1024\)/],
  ];

  it.each(cases)('fails on %s', async (name, extra, detail) => {
    const check = await pathsCheck(name, extra);
    expect(check.ok).toBe(false);
    expect(check.details?.some((d) => detail.test(d)), `${JSON.stringify(check.details)} should match ${detail}`).toBe(true);
  });

  it('does not flag the depth bound itself (1024 levels)', async () => {
    const check = await pathsCheck('depth-1024', [{ path: `${TOP}/${Array.from({ length: 1023 }, () => 'd').join('/')}`, content: 'ok' }]);
    expect(check.ok).toBe(true);
  });
});
