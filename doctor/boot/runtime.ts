import createDebug from 'debug';
import type { Runtime } from '../../abi-gate/index.js';
import { compareVersions, scanBuffer } from '../../abi-gate/index.js';
import { readTar } from '../../abi-gate/index.js';
import type { Machine } from '../../abi-gate/index.js';
import type { BootContainer } from './container.js';
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

/** One file out of the container, through the engine's archive API; null when it is no file. */
export async function copyOut(box: BootContainer, path: string): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  const stream = await box.container.getArchive({ path });
  await readTar(stream, async (entry, body) => {
    if (entry.type !== 'file') return body.skip();
    await body.forEach((chunk) => chunks.push(chunk));
  }, { label: `container:${path}` });
  return chunks.length === 0 ? null : Buffer.concat(chunks);
}

function highest(defs: string[], family: string): string | null {
  const versions = defs
    .filter((d) => d.startsWith(`${family}_`))
    .map((d) => d.slice(family.length + 1))
    .filter((v) => /^\d+(\.\d+)*$/.test(v))
    .sort(compareVersions);
  return versions.at(-1) ?? null;
}

/**
 * The runtime the prediction is made for: glibc from getconf, the sonames its ld.so.cache lists
 * for the tarball's arch, and the version definitions of each library the tarball needs (and of
 * libstdc++), read through `read` (copied out of a container, fetched over SSH) and scanned with
 * abi-gate.
 */
export async function readRuntime(
  read: (path: string) => Promise<Buffer | null>,
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
  await Promise.all(
    [...wanted].map(async (soname) => {
      const path = bySoname.get(soname) ?? '';
      const bytes = await read(path).catch((error: unknown) => {
        debug('cannot copy %s out: %o', path, error);
        return null;
      });
      if (bytes === null) return;
      const scanned = scanBuffer(bytes, path);
      if (scanned === null || !('versionDefs' in scanned) || scanned.versionDefs === undefined) return;
      versionDefs[soname] = scanned.versionDefs;
      paths[soname] = path;
    }),
  );
  return {
    glibc: facts.glibc,
    glibcRaw: facts.glibcRaw,
    glibcxx: highest(versionDefs['libstdc++.so.6'] ?? [], 'GLIBCXX'),
    versionDefs,
    libraries: [...bySoname.keys()],
    paths,
  };
}
