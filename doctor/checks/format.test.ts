import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { checkReleaseFormat } from '../../release/index.js';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { paxMember, specMember } from '../../abi-gate/test-support/index.js';
import { buildTar, serverEntries, TOP, type RawEntry } from '../test-support/hostile-tarballs.js';
import { checkOf, failedIds, useTempDir, verifyOne } from '../test-support/run.js';

const dir = useTempDir('format');

/** Re-seals a header after an edit: the unsigned sum, as packager writes it. */
function seal(block: Buffer): void {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
}

/** The header block of `path` in a tar stream (found by its name field). */
function headerOf(tar: Buffer, path: string): Buffer {
  for (let at = 0; at + 512 <= tar.length; at += 512) {
    if (tar.toString('utf8', at, at + 100).replace(/\0.*$/s, '') === path && tar[at + 156] !== 0x78) return tar.subarray(at, at + 512);
  }
  throw new Error(`no header for ${path}`);
}

type Twist = { entries?: (e: RawEntry[]) => RawEntry[]; bytes?: (tar: Buffer) => Buffer; gzip?: (tar: Buffer) => Buffer };

async function variant(name: string, twist: Twist): Promise<string> {
  const entries = (twist.entries ?? ((e) => e))(await serverEntries());
  const tar = (twist.bytes ?? ((t) => t))(buildTar(entries));
  await mkdir(`${dir()}/${name}`, { recursive: true });
  const file = `${dir()}/${name}/${TOP}.tar.gz`;
  await writeFile(file, (twist.gzip ?? gzipSync)(tar));
  return file;
}

/** Edits one header's bytes in place and re-seals it. */
const editHeader = (path: string, edit: (block: Buffer) => void) => (tar: Buffer): Buffer => {
  const block = headerOf(tar, path);
  edit(block);
  seal(block);
  return tar;
};

const SERVER_MAIN = `${TOP}/out/server-main.js`;
const extra = (...more: RawEntry[]) => (e: RawEntry[]): RawEntry[] => [...e, ...more];
const before = (blocks: Buffer, path: string) => (tar: Buffer): Buffer => {
  const at = tar.indexOf(headerOf(tar, path));
  return Buffer.concat([tar.subarray(0, at), blocks, tar.subarray(at)]);
};
const pax = (records: Record<string, string>, typeflag = 'x'): Buffer => paxMember(Object.entries(records), typeflag, 'PaxHeaders/x');

describe('format', () => {
  it('passes the minimal server, written as packager writes', async () => {
    const tarball = await verifyOne(await variant('good', {}), { policy: 'none' });
    expect(checkOf(tarball, 'format').ok).toBe(true);
    expect(failedIds(tarball)).toEqual(['manifest']);
  });

  // Each rule of release/format.ts, made to fail by one planted departure.
  const cases: [string, Twist, RegExp][] = [
    ['two gzip members', { gzip: (t) => Buffer.concat([gzipSync(t.subarray(0, 1024)), gzipSync(t.subarray(1024))]) }, /archive: more than one gzip member .*\[gzip\]/],
    ['an empty gzip member first', { gzip: (t) => Buffer.concat([gzipSync(Buffer.alloc(0)), gzipSync(t)]) }, /more than one gzip member \(an empty one first\) \[gzip\]/],
    [
      'a gzip header naming a file',
      { gzip: (t) => { const g = gzipSync(t); return Buffer.concat([g.subarray(0, 3), Buffer.from([8]), g.subarray(4, 10), Buffer.from('x.tar\0'), g.subarray(10)]); } },
      /gzip header carries a name.*\[gzip\]/,
    ],
    ['a lone zero block', { bytes: before(Buffer.alloc(512), SERVER_MAIN) }, /lone zero block at tar offset \d+.*\[end\]/],
    ['a pax header before the end', { bytes: (t) => Buffer.concat([t.subarray(0, t.length - 1024), pax({ path: 'x' }), Buffer.alloc(1024)]) }, /describes no entry \[end\]/],
    ['GNU magic', { bytes: editHeader(SERVER_MAIN, (b) => b.write('ustar  \0', 257, 'latin1')) }, /server-main\.js": magic\/version .* \[header\]/],
    ['an mtime with a space inside', { bytes: editHeader(`${TOP}/product.json`, (b) => b.write('0 ', 136, 'latin1')) }, /product\.json": mtime field is not plain octal.*\[header\]/],
    ['bytes after the NUL of a name', { bytes: editHeader(SERVER_MAIN, (b) => b.write('h', 98, 'latin1')) }, /name field has bytes after its NUL \[header\]/],
    ['owner names', { bytes: editHeader(SERVER_MAIN, (b) => b.write('daemon', 265, 'latin1')) }, /owner names are set.*\[header\]/],
    ['uid 1000', { bytes: editHeader(SERVER_MAIN, (b) => b.write('0001750\0', 108, 'latin1')) }, /owner is not uid 0, gid 0 \[header\]/],
    ['a hard link', { entries: extra({ path: `${TOP}/out/h.js`, type: 'hardlink', linkpath: SERVER_MAIN }) }, /h\.js": typeflag "1" is not .* \[type\]/],
    ['a GNU dumpdir', { bytes: editHeader(`${TOP}/out/`, (b) => b.write('D', 156, 'latin1')) }, /typeflag "D".*\[type\]/],
    ['a global pax header', { bytes: before(pax({ comment: 'x' }, 'g'), SERVER_MAIN) }, /a global pax header \(g\) precedes it.*\[extended-header\]/],
    ['two pax headers in a row', { bytes: before(Buffer.concat([pax({ path: SERVER_MAIN }), pax({ path: SERVER_MAIN })]), SERVER_MAIN) }, /2 pax headers in a row.*\[extended-header\]/],
    ['a pax key outside the format', { entries: extra({ path: `${TOP}/out/m.js`, content: 'x', pax: { mtime: '1' } }) }, /pax key "mtime" is not one of path, linkpath \[extended-header\]/],
    ['a pax size', { entries: extra({ path: `${TOP}/out/s.js`, content: 'x', pax: { size: '1' } }) }, /pax key "size" is not one of/],
    ["a leading './'", { entries: (e) => e.map((x) => ({ ...x, path: `./${x.path}` })) }, /has a '\.' component \(a leading '\.\/' puts the release one level too deep.*\[name\]/],
    ["'//'", { entries: extra({ path: `${TOP}/out//x.js`, content: 'x' }) }, /has an empty component.*\[name\]/],
    ['a control character', { entries: extra({ path: `${TOP}/out/a\u001b[2Jb.js`, content: 'x' }) }, /holds a NUL or control character \[name\]/],
    ['invalid UTF-8', { bytes: editHeader(SERVER_MAIN, (b) => b.writeUInt8(0xff, SERVER_MAIN.length - 4)) }, /is not valid UTF-8/],
    ["a file named with a trailing '/'", { bytes: editHeader(`${TOP}/product.json`, (b) => b.write('0', 156, 'latin1')), entries: extra({ path: `${TOP}/out/f/`, type: 'file' }) }, /is not a folder but ends in '\/' \[name\]/],
    ['no top folder entry', { entries: (e) => e.slice(1) }, /the first entry is not the top folder.*\[top-folder\]/],
    ['a second top folder', { entries: extra({ path: 'other/', type: 'directory' }) }, /"other\/": is not inside the one top folder.*\[top-folder\]/],
    ['a folder without its entry', { entries: extra({ path: `${TOP}/new/x.js`, content: 'x' }) }, /its folder .*\/new\/ is not an earlier folder entry \[parent\]/],
    ['a path twice', { entries: extra({ path: SERVER_MAIN, content: 'evil' }) }, /server-main\.js": appears twice.*\[duplicate\]/],
    ['a world-writable file', { entries: extra({ path: `${TOP}/out/w.js`, content: 'x', mode: 0o666 }) }, /w\.js": mode 0666 is not 0644 or 0755.*\[mode\]/],
    ['a setuid file', { entries: extra({ path: `${TOP}/out/u`, content: 'x', mode: 0o4755 }) }, /mode 4755 is not 0644 or 0755.*\[mode\]/],
    ['a world-writable folder', { entries: extra({ path: `${TOP}/w/`, type: 'directory', mode: 0o777 }) }, /mode 0777 is not 0755.*\[mode\]/],
    ['an absolute symlink', { entries: extra({ path: `${TOP}/abs`, type: 'symlink', linkpath: '/etc', mode: 0o777 }) }, /abs": target is absolute \[link\]/],
    ['a NUL in a pax linkpath', { entries: extra({ path: `${TOP}/nul`, type: 'symlink', linkpath: 'out', mode: 0o777, pax: { linkpath: 'out\0/etc' } }) }, /nul": target holds a NUL or control character \[link\]/],
  ];

  it.each(cases)('fails on %s, naming the entry and the rule', async (name, twist, detail) => {
    const tarball = await verifyOne(await variant(name.replace(/\W+/g, '-'), twist), { policy: 'none' });
    const check = checkOf(tarball, 'format');
    expect(check.ok, JSON.stringify(check)).toBe(false);
    expect(check.details?.some((d) => detail.test(d)), JSON.stringify(check.details)).toBe(true);
  });

  it('fails on a signed checksum (node-tar skips such a header; GNU tar reads it)', async () => {
    const file = await variant('signed', {
      entries: extra({ path: `${TOP}/out/ü.js`, content: 'x' }),
      bytes: (tar) => {
        const block = headerOf(tar, `${TOP}/out/ü.js`);
        block.fill(0x20, 148, 156);
        let sum = 0;
        for (const byte of block) sum += byte >= 0x80 ? byte - 0x100 : byte;
        block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
        return tar;
      },
    });
    const check = checkOf(await verifyOne(file, { policy: 'none' }), 'format');
    expect(check.details?.some((d) => /ü\.js": checksum is not the octal unsigned byte sum \[header\]/.test(d)), JSON.stringify(check.details)).toBe(true);
  });

  it('fails on a symlink whose size field is not zero', async () => {
    const link = `${TOP}/l`;
    const file = await variant('link-size', {
      entries: extra({ path: link, type: 'symlink', linkpath: 'out', mode: 0o777 }),
      // Size 0o1000 = 512 plus a 512-byte body: framing that GNU tar and node-tar skip differently.
      bytes: (tar) => {
        const at = tar.indexOf(headerOf(tar, link));
        const block = tar.subarray(at, at + 512);
        block.write('00000001000\0', 124, 'latin1');
        seal(block);
        return Buffer.concat([tar.subarray(0, at + 512), Buffer.alloc(512), tar.subarray(at + 512)]);
      },
    });
    const check = checkOf(await verifyOne(file, { policy: 'none' }), 'format');
    expect(check.details?.some((d) => /l": a symlink with a size field of 512.*\[size\]/.test(d)), JSON.stringify(check.details)).toBe(true);
  });

  it("fails when the top folder is not the release's name", async () => {
    const other = 'remote-ai-server-ffffffffffffffffffffffffffffffffffffffff-linux-x64';
    const file = await variant('renamed', { entries: (e) => e.map((x) => ({ ...x, path: x.path.replace(TOP, other) })) });
    const check = checkOf(await verifyOne(file, { policy: 'none' }), 'format');
    expect(check.details?.[0]).toBe(`top folder ${other}/ is not ${TOP}/ as the file name says [top-folder]`);
  });

  it('keeps at most a bounded number of details for a huge bad archive', async () => {
    const many = Array.from({ length: 1200 }, (_, i): RawEntry => ({ path: `${TOP}/out/f${i}.js`, content: 'x', mode: 0o666 }));
    const check = checkOf(await verifyOne(await variant('many', { entries: extra(...many) }), { policy: 'none' }), 'format');
    expect(check.message).toMatch(/^1200 departures from the release format \(mode\)/);
    expect(check.details?.at(-1)).toBe('... and 1150 more');
  });

  it('the entry blocks writer used here is canonical itself', () => {
    expect(specMember({ path: `${TOP}/x`, content: 'x' }).toString('latin1', 257, 265)).toBe('ustar\u000000');
  });
});

describe("the README's GNU tar recipe", () => {
  it('writes a conforming release, long names and links included', async () => {
    const root = `${dir()}/gnu-recipe`;
    const top = `${root}/${TOP}`;
    const deep = `${top}/node_modules/${'p'.repeat(120)}/${'q'.repeat(150)}`;
    await mkdir(deep, { recursive: true });
    await writeFile(`${deep}/index.js`, 'x');
    await writeFile(`${top}/run.sh`, '#!/bin/sh\n', { mode: 0o775 });
    await writeFile(`${top}/world.txt`, 'x', { mode: 0o666 });
    await symlink('run.sh', `${top}/link`);
    const script = `cd '${root}' && tar --format=posix --sort=name --owner=0 --group=0 --numeric-owner --mode=u+rwX,go+rX,go-w --mtime=@946684800 --pax-option=delete=atime,delete=ctime -cf - '${TOP}' | gzip -n > '${TOP}.tar.gz'`;
    execFileSync('bash', ['-c', script]);
    const checked = await checkReleaseFormat(`${root}/${TOP}.tar.gz`);
    expect(checked.violations).toEqual([]);
    expect(checked.top).toBe(TOP);
  });
});
