import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Facts about the libraries a host provides, read from the real libraries by
 * policies/host-libraries.mjs and committed as policies/host-libraries.json:
 * - which version families each one defines (libc.so.6: GLIBC; libstdc++.so.6: GLIBCXX and
 *   CXXABI), per arch, so a need such as `FOO_1.0` from libc.so.6 is known to fail everywhere;
 * - which sonames are glibc's own (libc.so.6, the loaders, libpthread, libm, ...).
 */

interface HostLibraryData {
  glibcLibraries: string[];
  families: Record<string, Record<string, string[]>>;
}

const here = dirname(fileURLToPath(import.meta.url));
let data: HostLibraryData | undefined;

function load(): HostLibraryData {
  data ??= JSON.parse(readFileSync(join(here, 'policies', 'host-libraries.json'), 'utf8')) as HostLibraryData;
  return data;
}

/**
 * True for a soname of glibc itself. The loader that opens an addon already has glibc's
 * libraries in memory and matches them by soname, so a shipped copy (or a file merely named
 * like one) is never what a binary gets; a dynamic executable that found one through its
 * RUNPATH would mix it with the host's loader, which glibc does not support.
 */
export function isGlibcLibrary(soname: string): boolean {
  return load().glibcLibraries.includes(soname);
}

/**
 * The version families the host's `soname` defines on `machine`, or null when it is not known
 * (a library whose real copy was not read, or one without version definitions: the loader
 * then accepts any version of it with a warning). For a machine no copy was read for, the
 * families of every copy read.
 */
export function hostFamilies(soname: string, machine: string): readonly string[] | null {
  const byArch = load().families[soname];
  if (byArch === undefined) return null;
  return byArch[machine] ?? [...new Set(Object.values(byArch).flat())].sort();
}
