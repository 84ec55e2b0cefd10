/**
 * The data abi-gate returns. These shapes are the library's contract with packager and doctor,
 * and (through `--json`) with users' CI scripts: extend them, never rename a key.
 */

export type BinaryFormat = 'elf' | 'macho' | 'pe';

/** ELF e_machine (and Mach-O/PE cputype) names as users know them; unknown ones as `em-<n>`. */
export type Machine =
  | 'x86_64'
  | 'i386'
  | 'aarch64'
  | 'arm'
  | 'ppc64le'
  | 'ppc64'
  | 'ppc'
  | 's390x'
  | 'riscv64'
  | 'riscv32'
  | 'mips'
  | 'mips64'
  | 'loongarch64'
  | `em-${number}`
  | 'arm64'
  | 'universal'
  | 'unknown';

export type Libc = 'glibc' | 'musl' | 'static' | 'none';
export type Endian = 'little' | 'big';
export type ElfType = 'relocatable' | 'executable' | 'shared' | 'core' | 'other';

/** One vernaux entry of a verneed record: the loader checks each one (glibc elf/dl-version.c). */
export interface VersionNeed {
  /** vn_file: the needed library, e.g. `libc.so.6`. */
  library: string;
  /** vna_name, e.g. `GLIBC_2.28`, `GLIBC_ABI_DT_RELR`, `GLIBC_PRIVATE`. */
  version: string;
  /** VER_FLG_WEAK: a miss only warns, so a weak entry never gates. */
  weak: boolean;
  /** vna_other: the index that versym entries use to point at this entry. */
  index: number;
}

/**
 * A symbol (or a version-only entry, `symbol: null`) that forces a family's highest version, or
 * that uses a non-numeric entry such as GLIBC_PRIVATE or CXXABI_TM_1.
 */
export interface Culprit {
  symbol: string | null;
  version: string;
  library: string;
}

export interface NodeAddonInfo {
  /** Exports napi_register_module_v1 or node_api_module_get_api_version_v1. */
  napi: boolean;
  /**
   * N from node_register_module_v<N> (NODE_MODULE_VERSION); null for N-API-only modules, and for
   * classic NODE_MODULE addons, whose version is not read (an ABI-specific addon of unknown ABI).
   */
  moduleVersion: number | null;
  /**
   * How it registers: an exported entry point, or a constructor calling node_module_register
   * (the classic NODE_MODULE macro) or napi_module_register (NAPI_MODULE before node 10).
   */
  registration?: 'export' | 'node_module_register' | 'napi_module_register';
}

/** Which of the loader's checks refuses a file (glibc elf/dl-load.c). */
export type LoaderRule =
  | 'ident-version'
  | 'osabi'
  | 'abi-version'
  | 'ident-padding'
  | 'elf-version'
  | 'type'
  | 'phentsize'
  | 'no-load'
  | 'no-dynamic'
  | 'dynamic-outside-load';

/** A reason glibc's loader would refuse (or crash on) a file, worded like its own error. */
export interface LoaderRefusal {
  rule: LoaderRule;
  message: string;
  /** Set when only glibc releases before this one refuse the file (e.g. `2.28`). */
  since?: string;
}

export interface ScannedFile {
  path: string;
  format: BinaryFormat;
  machine: Machine;
  class: 32 | 64 | null;
  endian: Endian | null;
  libc: Libc;
  elfType: ElfType | null;
  /** Per family (GLIBC, GLIBCXX, CXXABI, GCC, any other prefix) the highest non-weak version. */
  requires: Record<string, string>;
  /** Per family the symbols forcing its highest version, plus those using non-numeric entries. Flattened over families. */
  culprits: Culprit[];
  needed: string[];
  soname: string | null;
  rpath: string[];
  runpath: string[];
  interpreter: string | null;
  /** Every vernaux entry, weak ones included. */
  versionNeeds: VersionNeed[];
  /** Version definitions (verdef) this file provides, e.g. a shipped libstdc++. */
  versionDefs: string[];
  /** False when the section headers were stripped: requirements came from PT_DYNAMIC. */
  sectionHeaders: boolean;
  node: NodeAddonInfo | null;
  /**
   * The oldest Linux kernel the file runs on, from its NT_GNU_ABI_TAG note (`3.2.0`); null when
   * it has none (most shared libraries) or is no ELF. The scanner always sets it; optional only
   * for files described by hand (tests, predictions).
   */
  minKernel?: string | null;
  /** Size of the file and how many bytes the scanner actually read from it. */
  size: number;
  bytesRead: number;
  /** Universal Mach-O: the architectures inside. */
  slices?: Machine[];
  /**
   * Why glibc's loader would refuse this file, empty when it would open it. Always present in
   * abi-gate's own scans; optional only for entries made by hand.
   */
  refusals?: LoaderRefusal[];
}

/** A file that looked like a binary but could not be read: reported, never fatal to a scan. */
export interface UnreadableFile {
  path: string;
  format: BinaryFormat | null;
  error: string;
}

export type ScanEntry = ScannedFile | (UnreadableFile & Partial<Omit<ScannedFile, 'path' | 'format'>>);

export interface ScanSummary {
  /** Per family the highest version over all files. */
  requires: Record<string, string>;
  /** The highest kernel floor over all files, null when none has one. */
  minKernel: string | null;
}

export interface ScanReport {
  files: ScanEntry[];
  summary: ScanSummary;
  /**
   * Every regular-file and symlink path seen below each scanned root (tree or tarball), relative
   * to that root, so NEEDED libraries shipped in the tree can be resolved through RUNPATH/$ORIGIN.
   */
  tree: TreeIndex;
}

/** Paths present in a scanned tree or tarball, used to resolve NEEDED through RUNPATH/RPATH. */
export interface TreeIndex {
  /** Paths relative to the scanned root, '/'-separated, no leading './'. */
  has(path: string): boolean;
}

/** Random access to the bytes of one file, with bounds checked by the caller of `read`. */
export interface ByteSource {
  readonly size: number;
  /** Returns exactly `length` bytes at `offset`, or throws MalformedElfError when out of range. */
  read(offset: number, length: number): Buffer;
  /** Bytes handed out so far (the benchmark reports it). */
  readonly bytesRead: number;
}

export interface PolicyArch {
  /** Allowed versions per family: a requirement passes when it is in this set (auditwheel's rule). */
  allowed: Record<string, string[]>;
  /** The highest of each family, for messages ("allowed at most 2.17"). */
  max: Record<string, string>;
}

export interface Policy {
  name: string;
  description: string;
  /** Keyed by Machine name (x86_64, aarch64, ...). */
  arches: Partial<Record<string, PolicyArch>>;
  /** NEEDED sonames the host is assumed to provide. */
  libraryWhitelist: string[];
  /** libc flavours this policy accepts (a glibc policy refuses musl builds). */
  libc: Libc[];
  /** The oldest Linux kernel its hosts run (`3.10`); a newer NT_GNU_ABI_TAG floor is a violation. */
  kernel?: string;
  source?: string;
}

export type ViolationKind =
  | 'version'
  | 'private'
  | 'library'
  | 'platform'
  | 'libc'
  | 'kernel'
  | 'unreadable'
  /** glibc's loader refuses the file (elf/dl-load.c): a broken or hostile ELF. */
  | 'loader'
  /** A version in a family its host library does not define (`FOO_1.0` from libc.so.6). */
  | 'family'
  /** A copy of one of glibc's own libraries in the release. */
  | 'glibc-library'
  /** A RUNPATH/RPATH entry outside the release (absolute, relative, or climbing out: a warning). */
  | 'search-path'
  /** No binary at all was checked. */
  | 'empty';

export interface Violation {
  path: string;
  kind: ViolationKind;
  /** One line naming file, requirement, allowed maximum and culprits. */
  message: string;
  family?: string;
  required?: string;
  allowed?: string;
  library?: string;
  culprits: Culprit[];
}

export interface PolicyCheckResult {
  ok: boolean;
  policy: string;
  violations: Violation[];
  /** Weak entries and other findings that do not gate. */
  warnings: Violation[];
}
