/**
 * Which node a binary is, read from its bytes without running it (it may be built for another
 * arch or glibc than this machine), and the NODE_MODULE_VERSION that goes with it. packager
 * reads the node it bundles with this, doctor the node it finds in a tarball: one reading.
 *
 * Official builds embed process.release.headersUrl (`.../node-v20.18.2-headers.tar.gz`) and the
 * user agent `node.js/v20.18.2`. A literal part of each pattern is found with Buffer#indexOf
 * (memmem speed) and the pattern runs on the few bytes around it: a regex over a 100 MB binary
 * as latin1 text costs more than hashing it.
 */
import { ToolError } from '../abi-gate/index.js';

/** NODE_MODULE_VERSION per node major, from nodejs/node doc/abi_version_registry.json. */
export const NODE_MODULE_VERSIONS: Readonly<Record<number, number>> = {
  12: 72,
  13: 79,
  14: 83,
  15: 88,
  16: 93,
  17: 102,
  18: 108,
  19: 111,
  20: 115,
  21: 120,
  22: 127,
  23: 131,
  24: 137,
};

/** NODE_MODULE_VERSION of a node version (`20.18.2`, `v20.18.2`), null for an unknown major. */
export function nodeModuleVersion(version: string): number | null {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  return NODE_MODULE_VERSIONS[major] ?? null;
}

/** As nodeModuleVersion, but an unknown major is an error: packager cannot write the manifest. */
export function moduleVersionOf(version: string): number {
  const moduleVersion = nodeModuleVersion(version);
  if (moduleVersion === null) {
    const major = version.replace(/^v/, '').split('.')[0] ?? version;
    throw new ToolError('NODE_MODULE_VERSION_UNKNOWN', `node ${version}: NODE_MODULE_VERSION of node ${major} is not known to this packager`, {
      hint: `use node ${Object.keys(NODE_MODULE_VERSIONS).join(', ')} or update packager`,
    });
  }
  return moduleVersion;
}

/** In order of trust: the headers URL names the release exactly; the user agent is a fallback. */
const PATTERNS = [
  { needle: Buffer.from('-headers.tar.gz'), before: 32, after: 15, pattern: /node-v(\d+\.\d+\.\d+)-headers\.tar\.gz/ },
  { needle: Buffer.from('node.js/v'), before: 0, after: 32, pattern: /node\.js\/v(\d+\.\d+\.\d+)/ },
] as const;
/** Bytes of the previous chunk searched again with the next: more than any window above. */
const SEAM = 64;

function search(bytes: Buffer, which: (typeof PATTERNS)[number]): string | null {
  for (let at = bytes.indexOf(which.needle); at !== -1; at = bytes.indexOf(which.needle, at + 1)) {
    const around = bytes.subarray(Math.max(0, at - which.before), at + which.after).toString('latin1');
    const match = which.pattern.exec(around);
    if (match !== null) return match[1] ?? null;
  }
  return null;
}

/** Finds the version in a binary fed chunk by chunk, as a file read or a tar stream hands it over. */
export class NodeVersionFinder {
  private readonly found: Array<string | null> = PATTERNS.map(() => null);
  private tail: Buffer | null = null;

  /** The version once a pattern matched, the most trusted one found so far. */
  get version(): string | null {
    return this.found.find((v) => v !== null) ?? null;
  }

  /** Whether the most trusted pattern matched, so further chunks cannot change the answer. */
  get done(): boolean {
    return this.found[0] !== null;
  }

  push(chunk: Buffer): void {
    if (this.done || chunk.length === 0) return;
    // A string cut by the chunk boundary is whole in the previous tail plus this chunk's start.
    const seam = this.tail === null ? null : Buffer.concat([this.tail, chunk.subarray(0, SEAM)]);
    PATTERNS.forEach((which, i) => {
      this.found[i] ??= (seam === null ? null : search(seam, which)) ?? search(chunk, which);
    });
    // A copy: the caller may reuse the chunk's memory for its next read.
    this.tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - SEAM)));
  }
}

/** The version a whole binary (as chunks) says it is, or null when it carries no version string. */
export function findNodeVersion(chunks: Iterable<Buffer>): string | null {
  const finder = new NodeVersionFinder();
  for (const chunk of chunks) finder.push(chunk);
  return finder.version;
}
