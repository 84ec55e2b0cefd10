/**
 * "Is this entry allowed in a release?", asked in archive order: the one rule packager applies
 * to what it is about to pack and doctor applies to what it reads. An entry is judged by its
 * name and type (entries.ts) and by where it lands once every link before it is followed as the
 * kernel would (links.ts); once all entries are in, every link is resolved again, so a loop, or
 * a link that a later link turns outward, is found too.
 */
import { normalizeArchivePath } from '../abi-gate/index.js';
import { kindFindings, pathFindings, type ReleaseEntry } from './entries.js';
import { LinkResolver, within, type Resolution } from './links.js';

export interface EntryFinding {
  /** The entry's path as stored. */
  path: string;
  finding: string;
}

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

export class EntryWalk {
  readonly boundaryName: string;
  private readonly boundary: string[];
  private readonly resolver = new LinkResolver();
  private readonly seen = new Set<string>();
  /** Where each symlink sits -> its stored path and target, for the final pass. */
  private readonly symlinks = new Map<string, { path: string; target: string; flagged: boolean }>();

  /** `top`: the release's single top folder, the boundary no entry may leave; null for none. */
  constructor(top: string | null) {
    this.boundary = top === null ? [] : [top];
    this.boundaryName = top === null ? 'the extraction folder' : `the top folder ${top}/`;
  }

  /** Findings for one entry, in archive order; an empty list means it is allowed. */
  check(entry: ReleaseEntry): string[] {
    const out = [...pathFindings(entry.path), ...kindFindings(entry.kind, entry.mode)];
    const normal = normalizeArchivePath(entry.path);
    if (this.seen.has(normal)) out.push('appears twice (the later entry replaces what was checked)');
    this.seen.add(normal);
    if (out.some((f) => f.startsWith('absolute') || f.startsWith("'..'"))) return out;
    const parts = normal.split('/');

    // Where the entry lands: its parent folder through every link defined so far.
    const parent = this.resolver.resolve(parts.slice(0, -1), true);
    const parentProblem = describe(parent);
    if (parentProblem !== null) return [...out, `is written through a symlink that ${parentProblem}`];
    const location = parent.kind === 'path' ? [...parent.parts, parts[parts.length - 1] ?? ''] : parts;
    if (!within(location, this.boundary)) out.push(`is written through a symlink to ${location.join('/') || '.'}, outside ${this.boundaryName}`);
    this.resolver.remove(location);
    if (this.symlinks.size > 0) this.symlinks.delete(location.join('/'));

    if (entry.kind === 'symlink' || entry.kind === 'hardlink') out.push(...this.linkFindings(entry, location));
    return out;
  }

  /**
   * Links judged again with every link known: a loop (`a -> b`, `b -> a`) or a link that only a
   * later link turns outward. Links already reported when they were added are not repeated.
   */
  finish(): EntryFinding[] {
    const out: EntryFinding[] = [];
    for (const [location, link] of this.symlinks) {
      if (link.flagged) continue;
      const resolved = this.resolver.resolve(location.split('/'), true);
      const problem = this.targetProblem(resolved, link.target, 'symlink');
      if (problem !== null) out.push({ path: link.path, finding: `${problem} once the links after it are in place` });
    }
    return out;
  }

  private linkFindings(entry: ReleaseEntry, location: string[]): string[] {
    const target = entry.linkpath ?? '';
    const label = entry.kind === 'symlink' ? 'symlink' : 'hard link';
    let problem: string | null;
    if (isAbsolute(target)) problem = `${label} to the absolute path ${target}`;
    else {
      // A symlink target is relative to the link's folder; a hard link names an archive path.
      const base = entry.kind === 'symlink' ? location.slice(0, -1) : [];
      problem = this.targetProblem(this.resolver.resolve([...base, ...target.split('/')], true), target, label);
    }
    if (entry.kind === 'symlink' && !isAbsolute(target)) {
      this.resolver.addSymlink(location, target);
      this.symlinks.set(location.join('/'), { path: entry.path, target, flagged: problem !== null });
    }
    return problem === null ? [] : [problem];
  }

  private targetProblem(resolved: Resolution, target: string, label: string): string | null {
    const problem = describe(resolved);
    if (problem !== null) return `${label} to ${target} ${problem}`;
    if (resolved.kind === 'path' && !within(resolved.parts, this.boundary)) {
      return `${label} to ${target} resolves to ${resolved.parts.join('/') || '.'}, outside ${this.boundaryName}`;
    }
    return null;
  }
}

function isAbsolute(target: string): boolean {
  return target.startsWith('/') || /^[A-Za-z]:/.test(target);
}

/** Every finding of a whole list of entries, each entry's in order, then the final pass's. */
export function walkEntries(entries: Iterable<ReleaseEntry>, top: string | null): EntryFinding[] {
  const walk = new EntryWalk(top);
  const out: EntryFinding[] = [];
  for (const entry of entries) for (const finding of walk.check(entry)) out.push({ path: entry.path, finding });
  out.push(...walk.finish());
  return out;
}
