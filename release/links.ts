/**
 * Resolves archive paths the way the kernel resolves them once a release is extracted: symlinks
 * are followed component by component (a folder symlink `a -> ..` makes a later `a/x` land
 * outside; `x -> .` makes `x/..` the parent, not the folder itself), a `..` above the archive
 * root is an escape, and more than 40 links on one path is a loop (ELOOP). A lexical
 * normalisation (`path.normalize`) gets every one of these wrong.
 */
export type Resolution =
  | { kind: 'path'; parts: string[] }
  | { kind: 'above-root' }
  | { kind: 'absolute'; via: string }
  | { kind: 'loop' };

/** The kernel's MAXSYMLINKS (40): links followed on one path resolution before ELOOP. */
const MAX_HOPS = 40;

export class LinkResolver {
  /** Resolved location of each symlink -> its stored target. */
  private readonly links = new Map<string, string>();

  addSymlink(location: readonly string[], target: string): void {
    this.links.set(location.join('/'), target);
  }

  /** Drops a link that a later entry replaced, as extraction would. */
  remove(location: readonly string[]): void {
    if (this.links.size > 0) this.links.delete(location.join('/'));
  }

  /** Every link so far: location -> target. */
  entries(): IterableIterator<[string, string]> {
    return this.links.entries();
  }

  resolve(parts: readonly string[], followLast: boolean): Resolution {
    const stack: string[] = [];
    let queue = [...parts];
    let hops = 0;
    while (queue.length > 0) {
      const part = queue.shift() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (stack.length === 0) return { kind: 'above-root' };
        stack.pop();
        continue;
      }
      stack.push(part);
      if (this.links.size === 0) continue;
      const key = stack.join('/');
      const target = this.links.get(key);
      if (target === undefined || (queue.length === 0 && !followLast)) continue;
      hops += 1;
      if (hops > MAX_HOPS) return { kind: 'loop' };
      if (target.startsWith('/')) return { kind: 'absolute', via: key };
      stack.pop();
      queue = [...target.split('/'), ...queue];
    }
    return { kind: 'path', parts: stack };
  }
}

/** True when `parts` is the boundary folder or inside it (`boundary` empty: the archive root). */
export function within(parts: readonly string[], boundary: readonly string[]): boolean {
  if (parts.length < boundary.length) return false;
  return boundary.every((part, i) => parts[i] === part);
}
