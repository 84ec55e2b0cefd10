import { execFileSync } from 'node:child_process';

/**
 * What binutils says about an ELF file, for tests to compare abi-gate against an independent
 * reader. Parses `readelf -W` output; used only by tests.
 */

function readelf(args: string[], path: string): string {
  // readelf exits 0 with warnings on odd files; its stdout is what we parse.
  return execFileSync('readelf', ['-W', ...args, path], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

export function hasReadelf(): boolean {
  try {
    execFileSync('readelf', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface ReadelfHeader {
  class: 32 | 64;
  endian: 'little' | 'big';
  /** e_type's name as readelf prints it: EXEC, DYN, REL, CORE. */
  type: string;
  /** Our machine name, mapped from readelf's description (see MACHINES). */
  machine: string;
  /** readelf's own description, e.g. "Advanced Micro Devices X86-64". */
  machineText: string;
  sectionHeaders: number;
}

const MACHINES: Record<string, string> = {
  'Advanced Micro Devices X86-64': 'x86_64',
  AArch64: 'aarch64',
  ARM: 'arm',
  'Intel 80386': 'i386',
  'IBM S/390': 's390x',
  'PowerPC64': 'ppc64',
  PowerPC: 'ppc',
  'RISC-V': 'riscv',
  'MIPS R3000': 'mips',
  LoongArch: 'loongarch64',
};

export function readelfHeader(path: string): ReadelfHeader {
  const out = readelf(['-h'], path);
  const field = (name: string): string => {
    const m = new RegExp(`^\\s*${name}:\\s*(.*)$`, 'm').exec(out);
    if (m === null) throw new Error(`readelf -h ${path}: no ${name}`);
    return (m[1] ?? '').trim();
  };
  const cls = field('Class') === 'ELF64' ? 64 : 32;
  const endian = field('Data').includes('big endian') ? 'big' : 'little';
  const machineText = field('Machine');
  let machine = MACHINES[machineText] ?? machineText;
  if (machine === 'ppc64' && endian === 'little') machine = 'ppc64le';
  if (machine === 'riscv') machine = cls === 64 ? 'riscv64' : 'riscv32';
  if (machine === 'mips' && cls === 64) machine = 'mips64';
  return {
    class: cls,
    endian,
    type: (field('Type').split(/\s/)[0] ?? '').trim(),
    machine,
    machineText,
    sectionHeaders: Number(field('Number of section headers')),
  };
}

export interface ReadelfDynamic {
  needed: string[];
  soname: string | null;
  rpath: string[];
  runpath: string[];
}

export function readelfDynamic(path: string): ReadelfDynamic {
  const out = readelf(['-d'], path);
  const all = (tag: string, label: string): string[] =>
    [...out.matchAll(new RegExp(`\\(${tag}\\)\\s+${label}: \\[(.*)\\]`, 'g'))].map((m) => m[1] ?? '');
  return {
    needed: all('NEEDED', 'Shared library'),
    soname: all('SONAME', 'Library soname')[0] ?? null,
    rpath: all('RPATH', 'Library rpath').flatMap((v) => v.split(':').filter((p) => p !== '')),
    runpath: all('RUNPATH', 'Library runpath').flatMap((v) => v.split(':').filter((p) => p !== '')),
  };
}

export function readelfInterpreter(path: string): string | null {
  const m = /\[Requesting program interpreter: (.*)\]/.exec(readelf(['-l'], path));
  return m === null ? null : (m[1] ?? null);
}

export interface ReadelfVersionNeed {
  library: string;
  version: string;
  weak: boolean;
  index: number;
}

export interface ReadelfVersions {
  needs: ReadelfVersionNeed[];
  /** Version definitions other than the BASE one (the file's own name). */
  defs: string[];
}

export function readelfVersions(path: string): ReadelfVersions {
  const out = readelf(['-V'], path);
  const needs: ReadelfVersionNeed[] = [];
  const defs: string[] = [];
  let section: 'needs' | 'defs' | null = null;
  let library = '';
  for (const line of out.split('\n')) {
    if (line.startsWith('Version needs section')) section = 'needs';
    else if (line.startsWith('Version definition section')) section = 'defs';
    else if (line.startsWith('Version symbols section')) section = null;
    if (section === 'needs') {
      const file = /Version: \d+\s+File: (\S+)\s+Cnt:/.exec(line);
      if (file !== null) library = file[1] ?? '';
      const aux = /Name: (\S+)\s+Flags: (.*?)\s+Version: (\d+)/.exec(line);
      if (aux !== null) {
        needs.push({ library, version: aux[1] ?? '', weak: /WEAK/.test(aux[2] ?? ''), index: Number(aux[3]) });
      }
    } else if (section === 'defs') {
      const def = /Rev: \d+\s+Flags: (.*?)\s+Index: \d+\s+Cnt: \d+\s+Name: (\S+)/.exec(line);
      if (def !== null && !/BASE/.test(def[1] ?? '')) defs.push(def[2] ?? '');
    }
  }
  return { needs, defs };
}

export interface ReadelfSymbol {
  name: string;
  version: string | null;
  undefined: boolean;
}

/** `readelf --dyn-syms`: names with their version (`fcntl64@GLIBC_2.28 (2)`). */
export function readelfDynSyms(path: string): ReadelfSymbol[] {
  const out = readelf(['--dyn-syms'], path);
  const syms: ReadelfSymbol[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*\d+:\s+[0-9a-f]+\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S+)\s+(\S+)/.exec(line);
    if (m === null) continue;
    const full = m[2] ?? '';
    const at = full.indexOf('@');
    syms.push({
      name: at < 0 ? full : full.slice(0, at),
      version: at < 0 ? null : full.slice(at).replace(/^@+/, ''),
      undefined: m[1] === 'UND',
    });
  }
  return syms;
}

/** The highest of a list of dotted versions, ordered by `sort -V` (not by abi-gate's comparison). */
export function sortVersionMax(versions: string[]): string | null {
  if (versions.length === 0) return null;
  const sorted = execFileSync('sort', ['-V'], { input: `${versions.join('\n')}\n`, encoding: 'utf8' });
  const lines = sorted.trim().split('\n');
  return lines[lines.length - 1] ?? null;
}

/** Per family the highest numeric non-weak version binutils lists, ordered by `sort -V`. */
export function binutilsMaxRequires(needs: readonly ReadelfVersionNeed[]): Record<string, string> {
  const byFamily = new Map<string, string[]>();
  for (const need of needs) {
    if (need.weak) continue;
    const m = /^([^_]+)_(\d+(?:\.\d+)*)$/.exec(need.version);
    if (m === null) continue;
    const list = byFamily.get(m[1] ?? '') ?? [];
    list.push(m[2] ?? '');
    byFamily.set(m[1] ?? '', list);
  }
  const out: Record<string, string> = {};
  for (const [family, list] of byFamily) out[family] = sortVersionMax(list) ?? '';
  return out;
}
