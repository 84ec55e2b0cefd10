/**
 * Resolves archive paths the way an extractor sees them: symlinks defined earlier in the stream
 * are followed (a folder symlink `a -> ..` makes a later `a/x` land outside), a `..` above the
 * archive root is an escape.
 */
export type Resolution =
  | { kind: 'path'; parts: string[] }
  | { kind: 'above-root' }
  | { kind: 'absolute'; via: string }
  | { kind: 'loop' };

/** Same bound as the kernel's MAXSYMLINKS (40) for following links. */
const MAX_HOPS = 40;

export class LinkResolver {
  /** Resolved location of each symlink -> its stored target. */
  private readonly links = new Map<string, string>();

  addSymlink(location: string[], target: string): void {
    this.links.set(location.join('/'), target);
  }

  /** Drops a link that a later entry replaced, as extraction would. */
  remove(location: string[]): void {
    this.links.delete(location.join('/'));
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
