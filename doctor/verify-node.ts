/**
 * The bundled node's version, read from its bytes while they stream by. The patterns are
 * packager's (packager/node.ts VERSION_PATTERNS: process.release.headersUrl and the user agent),
 * so packager and doctor agree on what a binary says; a literal anchor found with Buffer#indexOf
 * keeps the 100 MB search cheap, and the regex runs on a small window around each hit.
 */
import { moduleVersionOf, VERSION_PATTERNS } from '../packager/node.js';

const ANCHORS = [Buffer.from('-headers.tar.gz'), Buffer.from('node.js/v')];
const WINDOW = 96;

function searchChunk(chunk: Buffer, anchor: Buffer): string | null {
  let at = chunk.indexOf(anchor);
  while (at >= 0) {
    const text = chunk.toString('latin1', Math.max(0, at - WINDOW), Math.min(chunk.length, at + anchor.length + WINDOW));
    for (const pattern of VERSION_PATTERNS) {
      const version = pattern.exec(text)?.[1];
      if (version !== undefined) return version;
    }
    at = chunk.indexOf(anchor, at + 1);
  }
  return null;
}

export function readNodeVersion(chunks: readonly Buffer[]): string | null {
  for (const anchor of ANCHORS) {
    for (let i = 0; i < chunks.length; i += 1) {
      const chunk = chunks[i] as Buffer;
      const found = searchChunk(chunk, anchor);
      if (found !== null) return found;
      const next = chunks[i + 1];
      if (next !== undefined) {
        // A hit across a chunk boundary: search the seam alone.
        const seam = Buffer.concat([chunk.subarray(-WINDOW * 2), next.subarray(0, WINDOW * 2)]);
        const across = searchChunk(seam, anchor);
        if (across !== null) return across;
      }
    }
  }
  return null;
}

/** NODE_MODULE_VERSION of a node version, null for a major packager does not know. */
export function nodeModuleVersion(version: string): number | null {
  try {
    return moduleVersionOf(version);
  } catch {
    return null;
  }
}
