import type { LoaderRefusal } from '../types.js';
import { DF_1_PIE, ELFOSABI_GNU, ELFOSABI_SYSV, ET_DYN, ET_EXEC, EV_CURRENT } from './constants.js';
import type { ElfHeader } from './header.js';
import type { ProgramHeader } from './program-headers.js';
import { hex } from './reader.js';

/**
 * Would glibc's loader open this file at all? The checks of glibc elf/dl-load.c (open_verify and
 * _dl_map_object_from_fd), in its order and with its words, so a report reads like the error a
 * user would get from `dlopen`. Measured against the loader of glibc 2.36 (ld.so --list and
 * node's process.dlopen on files that break one rule each: abi-gate/elf/loader-agreement.test.ts).
 *
 * A file the loader refuses is never "static, needs nothing": whatever its tables say, the host
 * cannot load it, and a scanner that reads it differently from the loader can be fooled.
 */

export interface LoadFacts {
  header: ElfHeader;
  loads: readonly ProgramHeader[];
  dynamic: ProgramHeader | null;
  interp: ProgramHeader | null;
  flags1: number;
  /**
   * For a file without PT_DYNAMIC: whether its section headers still describe dynamic tables
   * (.dynamic, .dynsym, .gnu.version*). Null when not looked at (the file has PT_DYNAMIC, or no
   * section headers).
   */
  dynamicSections: string[] | null;
}

/**
 * EI_ABIVERSION values the GNU OS ABI allows: below LIBC_ABI_MAX (glibc's libc-abis: 1 UNIQUE,
 * 2 IFUNC, 3 ABSOLUTE). glibc 2.36 accepts 0..3 and refuses 4 (measured). ABSOLUTE came with
 * glibc 2.28, so an older host refuses 3: that one only fails a policy below 2.28.
 */
const GNU_ABI_VERSIONS: ReadonlyArray<{ version: number; since?: string }> = [
  { version: 0 },
  { version: 1 },
  { version: 2 },
  { version: 3, since: '2.28' },
];

const DL_LOAD = 'glibc elf/dl-load.c';

export function loaderRefusals(facts: LoadFacts, path: string): LoaderRefusal[] {
  const out = headerRefusals(facts);
  // The loader stops at the first of these, before it maps anything: the rest is moot.
  if (out.some((r) => r.since === undefined)) return out;
  const h = facts.header;
  const refuse = (rule: LoaderRefusal['rule'], message: string): void => void out.push({ rule, message });

  const loadable = h.type === ET_DYN || h.type === ET_EXEC;
  const addon = /\.node$/.test(path);
  if (addon || /\.so(\.\d+)*$/.test(path)) {
    // What dlopen (a .node) or the loader resolving NEEDED (a .so) does with the type. Other
    // names are not judged by type: a stray object file (.o) in a release loads nowhere.
    if (h.type === ET_EXEC) {
      refuse('type', `cannot dynamically load executable (ET_EXEC; a ${addon ? '.node addon' : 'shared library'} must be ET_DYN, ${DL_LOAD})`);
    } else if (!loadable) {
      refuse('type', `only ET_DYN and ET_EXEC can be loaded (e_type ${h.type}, ${DL_LOAD})`);
    } else if ((facts.flags1 & DF_1_PIE) !== 0) {
      refuse('type', `cannot dynamically load position-independent executable (DF_1_PIE, ${DL_LOAD}, glibc 2.30 and later)`);
    }
  }
  if (!loadable || facts.loads.length === 0) return out;

  // _dl_map_object_from_fd: an ET_DYN without PT_DYNAMIC is refused outright. A static
  // executable needs none, but one whose section headers still describe dynamic tables, or that
  // names an interpreter, is a dynamic file whose table was hidden: what the sections say is
  // not what the loader sees.
  if (facts.dynamic === null) {
    const sections = facts.dynamicSections ?? [];
    const described = sections.length > 0 ? `its section headers describe ${sections.join(', ')}` : null;
    if (h.type === ET_DYN) {
      refuse('no-dynamic', `object file has no dynamic section (no PT_DYNAMIC${described === null ? '' : `, though ${described}`}, ${DL_LOAD})`);
    } else if (described !== null || facts.interp !== null) {
      const why = [described, facts.interp === null ? null : 'it names an interpreter (PT_INTERP)'].filter((x) => x !== null);
      refuse('no-dynamic', `no PT_DYNAMIC, but ${why.join(' and ')}: the loader sees no dynamic table, so it fails or crashes`);
    }
  } else if (!mapsDynamic(facts.loads, facts.dynamic)) {
    // The loader reads the dynamic table at l_addr + p_vaddr: memory a PT_LOAD mapped from the
    // file. Outside every PT_LOAD it reads unmapped memory (glibc 2.36: SIGSEGV in dlopen);
    // mapped from other bytes than p_offset, it reads another table than a scanner would.
    const d = facts.dynamic;
    refuse(
      'dynamic-outside-load',
      `PT_DYNAMIC (vaddr ${hex(d.vaddr)}, offset ${hex(d.offset)}, ${d.filesz} bytes) is not what any PT_LOAD maps there: the loader reads another table or unmapped memory`,
    );
  }
  return out;
}

/**
 * open_verify's checks of the ELF header, in its order, and "no loadable segments": refusals
 * that come before the loader reads any table. The scanner then reads none either (a file
 * without PT_LOAD has no addresses to map its tables through). `loads` null: not read yet.
 */
export function headerRefusals(facts: { header: ElfHeader; loads: readonly ProgramHeader[] | null }): LoaderRefusal[] {
  const h = facts.header;
  const out: LoaderRefusal[] = [];
  const refuse = (rule: LoaderRefusal['rule'], message: string, since?: string): void => {
    out.push(since === undefined ? { rule, message } : { rule, message, since });
  };
  if (h.identVersion !== EV_CURRENT) {
    refuse('ident-version', `ELF file version ident does not match current one (EI_VERSION ${h.identVersion}, ${DL_LOAD})`);
  }
  if (h.osabi !== ELFOSABI_SYSV && h.osabi !== ELFOSABI_GNU) {
    refuse('osabi', `ELF file OS ABI invalid (EI_OSABI ${h.osabi}${osabiName(h.osabi)}; the loader takes only 0 SYSV and 3 GNU/Linux, ${DL_LOAD})`);
  } else if (h.abiVersion !== 0) {
    const allowed = h.osabi === ELFOSABI_GNU ? GNU_ABI_VERSIONS.find((v) => v.version === h.abiVersion) : undefined;
    if (allowed === undefined) {
      refuse('abi-version', `ELF file ABI version invalid (EI_ABIVERSION ${h.abiVersion} with EI_OSABI ${h.osabi}, ${DL_LOAD})`);
    } else if (allowed.since !== undefined) {
      refuse(
        'abi-version',
        `ELF file ABI version invalid on glibc before ${allowed.since} (EI_ABIVERSION ${h.abiVersion}, the GNU ABSOLUTE ABI, ${DL_LOAD})`,
        allowed.since,
      );
    }
  }
  if (h.identPadding) refuse('ident-padding', `nonzero padding in e_ident (bytes 9-15, ${DL_LOAD})`);
  if (h.version !== EV_CURRENT) {
    refuse('elf-version', `ELF file version does not match current one (e_version ${h.version}, ${DL_LOAD})`);
  }
  const loadable = h.type === ET_DYN || h.type === ET_EXEC;
  if (loadable && h.phentsize !== h.sizes.phdr) {
    refuse('phentsize', `ELF file's phentsize not the expected size (${h.phentsize}, expected ${h.sizes.phdr}, ${DL_LOAD})`);
  }
  if (loadable && out.length === 0 && facts.loads !== null && facts.loads.length === 0) {
    refuse('no-load', `object file has no loadable segments (no PT_LOAD, ${DL_LOAD})`);
  }
  return out;
}

/** True when one PT_LOAD maps PT_DYNAMIC's whole table from exactly its file bytes. */
function mapsDynamic(loads: readonly ProgramHeader[], d: ProgramHeader): boolean {
  return loads.some(
    (l) =>
      d.vaddr >= l.vaddr &&
      d.vaddr + d.filesz <= l.vaddr + l.filesz &&
      d.offset - l.offset === d.vaddr - l.vaddr,
  );
}

/** Names for the EI_OSABI values a misbuilt file is likely to carry (gABI table). */
function osabiName(osabi: number): string {
  const names: Record<number, string> = { 1: 'HP-UX', 2: 'NetBSD', 6: 'Solaris', 9: 'FreeBSD', 12: 'OpenBSD', 97: 'ARM', 255: 'standalone' };
  const name = names[osabi];
  return name === undefined ? '' : `, ${name}`;
}
