/**
 * The generator of tricky tarballs: for every class of issue 8 (reader differentials, links,
 * spelling, modes) and the others found while building the format, one or more releases that are
 * the good release plus one planted defect. Most try to make one reader install a file the others
 * (and doctor) never saw, usually a replacement `out/server-main.js`.
 */
import { gzipSync } from 'node:zlib';
import { END, BLOCK, gnuLongMember, member, paxMember } from '../abi-gate/test-support/index.js';
import { emit, type CaseEntry, type GoodRelease } from './release.js';

export type CaseClass = 'reader' | 'links' | 'spelling' | 'modes' | 'other';

export interface GeneratedCase {
  name: string;
  class: CaseClass;
  gz: Buffer;
}

export const EVIL = Buffer.from('require("child_process").execSync("touch /tmp/pwned")\n');

/**
 * `absOutside` is an absolute folder outside every sandbox that link cases aim at; the harness
 * checks it stays empty.
 */
export function generateCases(release: GoodRelease, absOutside: string): GeneratedCase[] {
  const top = release.top;
  const base = (): CaseEntry[] => release.entries.map((e) => ({ ...e }));
  const file = (path: string, content: Buffer | string = EVIL, mode = 0o644): CaseEntry => ({ path, type: 'file', mode, content: Buffer.from(content), link: '' });
  const dir = (path: string, mode = 0o755): CaseEntry => ({ path, type: 'directory', mode, content: Buffer.alloc(0), link: '' });
  const symlink = (path: string, link: string): CaseEntry => ({ path, type: 'symlink', mode: 0o777, content: Buffer.alloc(0), link });
  const target = `${top}/out/server-main.js`;
  /** A header plus body that a reader parsing it installs as a new server-main.js. */
  const smuggled = member({ name: target }, EVIL);
  /** The same, for a path the release does not have (no duplicate for the paths check to see). */
  const smuggledNew = member({ name: `${top}/out/extra.js` }, EVIL);
  const cases: GeneratedCase[] = [];
  const add = (name: string, cls: CaseClass, entries: CaseEntry[], end: Buffer = END): void => {
    cases.push({ name, class: cls, gz: gzipSync(emit(entries, end)) });
  };
  const plus = (...extra: CaseEntry[]): CaseEntry[] => [...base(), ...extra];
  const mapAll = (f: (e: CaseEntry) => CaseEntry): CaseEntry[] => base().map(f);

  // 1. Reader differentials.
  add('dumpdir D with a body', 'reader', plus({ ...dir(`${top}/dump/`), fields: { typeflag: 'D', size: smuggled.length }, body: smuggled }));
  add('old GNU N entry renames the next one', 'reader', plus({ ...file(`${top}/notes`, `${top}/harmless.js\0`), fields: { typeflag: 'N' } }, file(target)));
  add('GNU L long name after a pax path', 'reader', plus({ ...file(`${top}/x.js`), before: [paxMember([['path', `${top}/harmless.js`]]), gnuLongMember('L', target)], pax: [] }));
  add('GNU L long name before a pax path', 'reader', plus({ ...file(`${top}/x.js`), before: [gnuLongMember('L', target)], pax: [['path', `${top}/harmless.js`]] }));
  add('GNU K long link with a pax linkpath', 'reader', plus({ ...symlink(`${top}/k`, 'out'), before: [gnuLongMember('K', '../../../../..')], pax: [['linkpath', 'out']] }, file(`${top}/k/pwned`)));
  add('unknown typeflag with a pax size', 'reader', plus({ ...file(`${top}/z`), fields: { typeflag: 'Z', size: 0 }, pax: [['size', String(smuggled.length)]], body: smuggled }));
  add('symlink with a nonzero size', 'reader', plus({ ...symlink(`${top}/s`, 'out'), fields: { size: smuggled.length }, body: smuggled }));
  add('hard link with a nonzero size', 'reader', plus({ ...file(`${top}/h`), fields: { typeflag: '1', linkname: target, size: smuggled.length }, body: smuggled }));
  add('global pax path', 'reader', plus({ ...file(`${top}/harmless.js`), before: [paxMember([['path', target]], 'g')] }));
  add('global pax linkpath', 'reader', plus({ ...symlink(`${top}/g`, 'out'), before: [paxMember([['linkpath', '../../../../..']], 'g')] }, file(`${top}/g/pwned`)));
  add('two pax headers in a row', 'reader', plus({ ...file(target), before: [paxMember([['path', `${top}/harmless.js`]])], pax: [['mtime', '1']] }));
  add('pax path twice in one header', 'reader', plus({ ...file(`${top}/x.js`), pax: [['path', target], ['path', `${top}/harmless.js`]] }));
  add('GNU.sparse.name renames a member', 'reader', plus({ ...file(`${top}/harmless.js`), pax: [['GNU.sparse.name', target]] }));
  add('GNU.sparse.realsize', 'reader', plus({ ...file(`${top}/sparse.js`), pax: [['GNU.sparse.realsize', '999999']] }));
  for (const syntax of ['+N', ' N', 'N ', '0N', 'N.0', '1e1']) {
    const value = syntax.replace('N', String(smuggledNew.length));
    add(`pax size ${JSON.stringify(syntax)}`, 'reader', plus({ ...file(`${top}/p.js`, ''), fields: { size: 0 }, pax: [['size', value]], body: smuggledNew }));
  }
  add('pax size on a regular file', 'reader', plus({ ...file(`${top}/p.js`, ''), fields: { size: smuggledNew.length }, pax: [['size', '0']], body: smuggledNew }));
  add('GNU magic with a prefix', 'reader', plus({ ...file('extra.js'), fields: { magic: 'ustar  \0', prefix: `${top}/out` } }));
  add('ustar magic, version not 00, with a prefix', 'reader', plus({ ...file('extra.js'), fields: { magic: 'ustar\0\0\0', prefix: `${top}/out` } }));
  add('prefix with bytes after its NUL', 'reader', plus({ ...file('y.js'), fields: { prefix: Buffer.concat([Buffer.from(`${top}/out`), Buffer.alloc(1), Buffer.from('/junk')]) } }));
  add('signed checksum', 'reader', plus({ ...file(`${top}/ü.js`), fields: { checksum: 'signed', uname: '\u00ff' } }));
  add('size field with a space inside', 'reader', plus({ ...file(`${top}/sp.js`, EVIL), fields: { size: Buffer.from(`0000 ${EVIL.length.toString(8).padStart(6, '0')}\0`) } }));
  add('base-256 size', 'reader', plus({ ...file(`${top}/b.js`), fields: { size: Buffer.concat([Buffer.from([0x80]), Buffer.alloc(7), (() => { const b = Buffer.alloc(4); b.writeUInt32BE(EVIL.length); return b; })()]) } }));
  add('name with bytes after its NUL', 'reader', plus({ ...file(`${top}/a.js`), fields: { name: Buffer.from(`${top}/a.js\0${target}`) } }));
  add('lone zero block before the last entries', 'reader', (() => { const e = base(); const i = e.findIndex((x) => x.path === target); e[i] = { ...(e[i] as CaseEntry), before: [Buffer.alloc(BLOCK)] }; return e; })());
  add('pax header that describes no entry', 'reader', base(), Buffer.concat([paxMember([['path', target]]), END]));
  add('data after the end blocks', 'reader', base(), Buffer.concat([END, smuggled, END]));
  add('pax path with a NUL', 'reader', plus({ ...file(`${top}/n.js`), pax: [['path', `${top}/n.js\0/../../out/server-main.js`]] }));
  add("file whose name field ends in '/' under a pax path", 'reader', plus({ ...file(`${top}/out/x.js`), fields: { name: `${top}/out/` }, pax: [['path', `${top}/out/x.js`]], body: smuggled }));
  add("typeflag NUL with a name ending in '/'", 'reader', plus({ ...file(`${top}/old/`), fields: { typeflag: '\0', size: smuggled.length }, body: smuggled }));
  add('contiguous file (7)', 'reader', plus({ ...file(`${top}/c.js`), fields: { typeflag: '7' } }));
  add('mode field with file-type bits', 'reader', plus({ ...file(`${top}/t.js`), fields: { mode: 0o100644 } }));
  {
    // Two gzip members, split at an entry boundary: every reader joins them, the format wants one.
    const tar = emit(base());
    const half = Math.floor(tar.length / BLOCK / 2) * BLOCK;
    cases.push({ name: 'two gzip members', class: 'reader', gz: Buffer.concat([gzipSync(tar.subarray(0, half)), gzipSync(tar.subarray(half))]) });
    cases.push({ name: 'zeros after the gzip member', class: 'reader', gz: Buffer.concat([gzipSync(tar), Buffer.alloc(64)]) });
    cases.push({ name: 'an empty gzip member first', class: 'reader', gz: Buffer.concat([gzipSync(Buffer.alloc(0)), gzipSync(tar)]) });
  }

  // 2. Links.
  add('link re-spelled after its check', 'links', plus(symlink(`${top}/l`, 'out'), symlink(`${top}//l`, '../../../..'), file(`${top}/l/pwned`)));
  add('NUL inside a pax linkpath', 'links', plus({ ...symlink(`${top}/nl`, 'out'), pax: [['linkpath', 'out\0../../../../..']] }, file(`${top}/nl/pwned`)));
  add('file written through a symlinked folder onto a checked path', 'links', plus(symlink(`${top}/o`, 'out'), file(`${top}/o/server-main.js`)));
  add('hard link to a symlink', 'links', plus(symlink(`${top}/s`, absOutside), { ...file(`${top}/h`, ''), fields: { typeflag: '1', linkname: `${top}/s` } }, file(`${top}/h/pwned`)));
  add('hard link to a checked file', 'links', plus({ ...file(`${top}/h`, ''), fields: { typeflag: '1', linkname: target } }));
  add('symlink loop', 'links', plus(symlink(`${top}/a`, 'b'), symlink(`${top}/b`, 'a'), file(`${top}/a/pwned`)));
  add('absolute symlink, written through', 'links', plus(symlink(`${top}/abs`, absOutside), file(`${top}/abs/pwned`)));
  add("'..' symlink out of the install folder, written through", 'links', plus(symlink(`${top}/up`, '../../..'), file(`${top}/up/pwned`)));
  add('symlink to a link that escapes', 'links', plus(symlink(`${top}/up`, '../../..'), symlink(`${top}/via`, 'up')));
  add('folder replaced by a symlink', 'links', plus(symlink(`${top}/out`, absOutside), file(`${top}/out/pwned`)));

  // 3. Spelling.
  add("names starting with './'", 'spelling', mapAll((e) => ({ ...e, path: `./${e.path}` })));
  add("names starting with '/'", 'spelling', mapAll((e) => ({ ...e, path: `/${e.path}` })));
  add("'//' in a name", 'spelling', plus(file(`${top}//out/server-main.js`)));
  add("'.' component", 'spelling', plus(file(`${top}/./out/server-main.js`)));
  add("'..' component", 'spelling', plus(file(`${top}/../${top}/out/server-main.js`)));
  add('no top folder entry', 'spelling', base().slice(1));
  add('a second top folder', 'spelling', plus(dir('other/'), file('other/x.js')));
  add('a folder without its entry', 'spelling', plus(file(`${top}/newdir/x.js`)));
  add('a path twice', 'spelling', plus(file(target)));
  add("folder name without its '/'", 'spelling', plus({ ...dir(`${top}/d`) }));

  // 6. Modes.
  for (const [what, mode] of [
    ['world-writable file', 0o666],
    ['group-writable file', 0o664],
    ['setuid file', 0o4755],
    ['setgid file', 0o2755],
    ['owner-only file', 0o600],
  ] as const) {
    add(what, 'modes', mapAll((e) => (e.path === target ? { ...e, mode } : e)));
  }
  for (const [what, mode] of [
    ['world-writable folder', 0o777],
    ['sticky world-writable folder', 0o1777],
    ['setgid folder', 0o2755],
  ] as const) {
    add(what, 'modes', mapAll((e) => (e.path === `${top}/out/` ? { ...e, mode } : e)));
  }
  add('symlink with mode 0644', 'modes', plus({ ...symlink(`${top}/sl`, 'out'), mode: 0o644 }));

  // Found while building the format.
  add('owner names on a root-owned entry', 'other', mapAll((e) => (e.path === target ? { ...e, fields: { uname: 'daemon', gname: 'daemon' } } : e)));
  add('nonzero uid', 'other', mapAll((e) => (e.path === target ? { ...e, fields: { uid: 1000, gid: 1000 } } : e)));
  add('invalid UTF-8 in a name', 'other', plus({ ...file(`${top}/x`), fields: { name: Buffer.concat([Buffer.from(`${top}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.js')]) } }));
  add('newline in a name', 'other', plus(file(`${top}/line\nbreak.js`)));
  add('component over 255 bytes', 'other', plus(file(`${top}/${'c'.repeat(256)}`)));
  add('FIFO', 'other', plus({ ...file(`${top}/fifo`, ''), fields: { typeflag: '6' } }));
  add('character device', 'other', plus({ ...file(`${top}/null`, ''), fields: { typeflag: '3' } }));
  return cases;
}
