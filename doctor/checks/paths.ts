import type { CheckResult } from '../report-types.js';
import type { CheckContext, EntryFact } from '../verify-types.js';
import { LinkResolver, within, type Resolution } from './link-resolver.js';
import { fail, normalizePath, partialVerdict, pass, topFolder } from './tree.js';

/** node-tar's default `maxDepth` for extraction. */
export const MAX_DEPTH = 1024;

const DRIVE = /^[A-Za-z]:/;

function describe(resolution: Resolution): string | null {
  switch (resolution.kind) {
    case 'above-root':
      return 'resolves above the extraction folder';
    case 'absolute':
      return `goes through ${resolution.via}, a link to an absolute path`;
    case 'loop':
      return 'has a symlink loop';
    case 'path':
      return null;
  }
}

interface Walk {
  resolver: LinkResolver;
  boundary: string[];
  boundaryName: string;
  seen: Set<string>;
}

function findings(entry: EntryFact, walk: Walk): string[] {
  const out: string[] = [];
  const normal = normalizePath(entry.path);
  const parts = normal.split('/');
  if (entry.path.startsWith('/') || DRIVE.test(entry.path) || entry.path.includes('\\')) out.push('absolute or drive path');
  if (entry.path.split('/').includes('..')) out.push("'..' component");
  if (parts.length > MAX_DEPTH) out.push(`${parts.length} levels deep (more than ${MAX_DEPTH})`);
  if (entry.path.includes('\0')) out.push('NUL byte in the path');
  if (entry.kind === 'chardev' || entry.kind === 'blockdev') out.push(`${entry.kind === 'chardev' ? 'character' : 'block'} device`);
  if (entry.kind === 'fifo') out.push('FIFO');
  if ((entry.mode & 0o4000) !== 0) out.push('setuid bit');
  if ((entry.mode & 0o2000) !== 0) out.push('setgid bit');
  if (walk.seen.has(normal)) out.push('appears twice (the later entry replaces what was checked)');
  walk.seen.add(normal);
  if (out.some((f) => f.startsWith('absolute') || f.startsWith("'..'"))) return out;

  // Where the entry lands: its parent folder through every link defined so far.
  const parent = walk.resolver.resolve(parts.slice(0, -1), true);
  const parentProblem = describe(parent);
  if (parentProblem !== null) return [...out, `is written through a symlink that ${parentProblem}`];
  const location = parent.kind === 'path' ? [...parent.parts, parts[parts.length - 1] ?? ''] : parts;
  if (!within(location, walk.boundary)) out.push(`is written through a symlink to ${location.join('/') || '.'}, outside ${walk.boundaryName}`);
  walk.resolver.remove(location);

  if (entry.kind === 'symlink' || entry.kind === 'hardlink') {
    const target = entry.linkpath ?? '';
    const label = entry.kind === 'symlink' ? 'symlink' : 'hard link';
    if (target.startsWith('/') || DRIVE.test(target)) {
      out.push(`${label} to the absolute path ${target}`);
    } else {
      // A symlink target is relative to the link's folder; a hard link names an archive path.
      const base = entry.kind === 'symlink' ? location.slice(0, -1) : [];
      const resolved = walk.resolver.resolve([...base, ...target.split('/')], true);
      const problem = describe(resolved);
      if (problem !== null) out.push(`${label} to ${target} ${problem}`);
      else if (resolved.kind === 'path' && !within(resolved.parts, walk.boundary)) {
        out.push(`${label} to ${target} resolves to ${resolved.parts.join('/') || '.'}, outside ${walk.boundaryName}`);
      }
      if (entry.kind === 'symlink') walk.resolver.addSymlink(location, target);
    }
  }
  return out;
}

export function checkPaths({ facts }: CheckContext): CheckResult {
  const top = topFolder(facts.entries);
  const walk: Walk = {
    resolver: new LinkResolver(),
    boundary: top === null ? [] : [top],
    boundaryName: top === null ? 'the extraction folder' : `the top folder ${top}/`,
    seen: new Set(),
  };
  const details: string[] = [];
  for (const entry of facts.entries) {
    for (const finding of findings(entry, walk)) details.push(`${entry.path}: ${finding}`);
  }
  const result =
    details.length === 0
      ? pass('paths', `${facts.entries.length} entries stay inside ${walk.boundaryName}; no links out, devices, setuid or duplicates`)
      : fail('paths', `${details.length} unsafe entries: extracting this tarball could write outside its folder or replace checked files`, details);
  return partialVerdict('paths', facts, result);
}
