import createDebug from 'debug';
import { compareVersions, scanBuffer, type Machine, type Runtime } from '../../abi-gate/index.js';
import type { RuntimeProbe } from './inspect-script.js';

const debug = createDebug('remote-ai:doctor:runtime');

/** ldconfig's arch tag per machine (`libc6,x86-64`); a machine without one keeps every entry. */
const LDCONFIG_ARCH: Partial<Record<Machine, RegExp>> = {
  x86_64: /x86-64/,
  aarch64: /AArch64/,
  s390x: /64bit/,
  ppc64le: /64bit/,
};

export interface RuntimeFacts extends Runtime {
  /** The raw `getconf GNU_LIBC_VERSION` answer. */
  glibcRaw: string;
  /** Highest GLIBCXX_ the container's libstdc++.so.6 defines, when it has one. */
  glibcxx: string | null;
  /** soname -> real path in the container, for the libraries whose definitions were read. */
  paths: Record<string, string>;
}

function highest(defs: string[], family: string): string | null {
  const versions = defs
    .filter((d) => d.startsWith(`${family}_`))
    .map((d) => d.slice(family.length + 1))
    .filter((v) => /^\d+(\.\d+)*$/.test(v))
    .sort(compareVersions);
  return versions.at(-1) ?? null;
}

/** The bytes of every path that is a readable file there, in one round trip (fetch-files.ts). */
export type ReadFiles = (paths: string[]) => Promise<Map<string, Buffer>>;

/**
 * The runtime the prediction is made for: glibc from getconf, the sonames its ld.so.cache lists
 * for the tarball's arch, and the version definitions of each library the tarball needs (and of
 * libstdc++), read through `read` all at once (out of a container, over SSH) and scanned with
 * abi-gate. A library that cannot be read is a runtime without its definitions.
 */
export async function readRuntime(
  read: ReadFiles,
  facts: RuntimeProbe,
  machine: Machine,
  needed: Iterable<string>,
): Promise<RuntimeFacts> {
  const arch = LDCONFIG_ARCH[machine];
  const entries = facts.cache.filter((e) => arch === undefined || arch.test(e.flags));
  const bySoname = new Map<string, string>();
  for (const entry of entries) if (!bySoname.has(entry.soname)) bySoname.set(entry.soname, entry.realPath);
  const wanted = new Set([...needed, 'libstdc++.so.6'].filter((s) => bySoname.has(s)));
  const versionDefs: Record<string, string[]> = {};
  const paths: Record<string, string> = {};
  const files = await read([...new Set([...wanted].map((soname) => bySoname.get(soname) ?? ''))]).catch((error: unknown) => {
    debug('cannot read the libraries: %o', error);
    return new Map<string, Buffer>();
  });
  for (const soname of wanted) {
    const path = bySoname.get(soname) ?? '';
    const bytes = files.get(path);
    if (bytes === undefined) {
      debug('%s (%s) was not read', soname, path);
      continue;
    }
    const scanned = scanBuffer(bytes, path);
    if (scanned === null || !('versionDefs' in scanned) || scanned.versionDefs === undefined) continue;
    versionDefs[soname] = scanned.versionDefs;
    paths[soname] = path;
  }
  return {
    glibc: facts.glibc,
    glibcRaw: facts.glibcRaw,
    glibcxx: highest(versionDefs['libstdc++.so.6'] ?? [], 'GLIBCXX'),
    versionDefs,
    libraries: [...bySoname.keys()],
    paths,
  };
}
