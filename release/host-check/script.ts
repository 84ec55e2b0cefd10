/**
 * `bin/helpers/check-requirements.sh` from a release's host requirements: the fixed POSIX sh body
 * (check-requirements.template.sh, beside this file) with one line per requirement in place of its
 * `# @REQUIREMENTS@` marker. The same requirements always give the same bytes: packager writes
 * them, doctor regenerates and compares them.
 */
import { readFileSync } from 'node:fs';
import { ToolError } from '../../abi-gate/index.js';
import { archOfMachine, unameSpellingsOf } from '../arch.js';
import type { HostCause, HostRequirements } from './requirements.js';

/** Where the script sits in a release, relative to its top folder (the Code-OSS server's path). */
export const CHECK_SCRIPT_PATH = 'bin/helpers/check-requirements.sh';

/** The exit code that tells the IDE "this host does not meet the prerequisites" (Code-OSS's contract). */
export const UNMET_EXIT_CODE = 99;

const MARKER = '# @REQUIREMENTS@\n';

interface MachineFacts {
  /** EI_CLASS and e_machine (little-endian bytes) as `od -tu1` prints them. */
  elfClass: string;
  elfMachine: string;
  /** What `ldconfig -p` prints in the parentheses for this machine's libraries. */
  ldconfigTag: string;
  libDirs: string;
  muslLoader: string;
}

const MACHINES: Readonly<Record<string, MachineFacts>> = {
  x86_64: {
    elfClass: '2',
    elfMachine: '62 0',
    ldconfigTag: 'x86-64',
    libDirs: '/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib',
    muslLoader: '/lib/ld-musl-x86_64.so.1',
  },
  aarch64: {
    elfClass: '2',
    elfMachine: '183 0',
    ldconfigTag: 'AArch64',
    libDirs: '/lib/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib',
    muslLoader: '/lib/ld-musl-aarch64.so.1',
  },
};

/** The `uname -m` spellings of a host that runs binaries for ELF machine `machine`. */
function unameSpellings(machine: string): readonly string[] {
  const arch = archOfMachine(machine);
  return arch === null ? [] : unameSpellingsOf(arch);
}

let template: string | null = null;

function body(): string {
  template ??= readFileSync(new URL('./check-requirements.template.sh', import.meta.url), 'utf8');
  if (!template.includes(MARKER)) throw new Error('internal: check-requirements.template.sh lost its # @REQUIREMENTS@ marker');
  return template;
}

/** A shell word in single quotes; control characters (a newline in a path) become `?`. */
function sq(text: string): string {
  return `'${text.replace(/[\u0000-\u001f\u007f]/g, '?').replaceAll("'", `'\\''`)}'`;
}

const SHOWN_FILES = 3;
const SHOWN_SYMBOLS = 3;

/** `node (fcntl64), x.node (pthread_create, +2 more)`: what forces a requirement, short. */
export function causeText(causes: readonly HostCause[]): string {
  const shown = causes.slice(0, SHOWN_FILES).map((c) => {
    if (c.symbols.length === 0) return c.path;
    const symbols = c.symbols.slice(0, SHOWN_SYMBOLS).join(', ');
    return `${c.path} (${symbols}${c.symbols.length > SHOWN_SYMBOLS ? `, +${c.symbols.length - SHOWN_SYMBOLS} more` : ''})`;
  });
  const more = causes.length > SHOWN_FILES ? `, +${causes.length - SHOWN_FILES} more files` : '';
  return `${shown.join(', ')}${more}`;
}

/** The requirement lines that replace the template's marker. */
export function requirementLines(req: HostRequirements): string[] {
  const facts = MACHINES[req.machine];
  if (facts === undefined) {
    throw new ToolError('HOST_CHECK_MACHINE', `no host check for ${req.machine} releases`, { hint: `releases are built for ${Object.keys(MACHINES).join(' or ')}` });
  }
  const lines = [
    `MACHINE=${sq(req.machine)}`,
    `ELF_CLASS=${sq(facts.elfClass)}`,
    `ELF_MACHINE=${sq(facts.elfMachine)}`,
    `LDCONFIG_TAG=${sq(facts.ldconfigTag)}`,
    `LIB_DIRS=${sq(facts.libDirs)}`,
    `MUSL_LOADER=${sq(facts.muslLoader)}`,
    '',
    `require_machine ${[req.machine, ...unameSpellings(req.machine)].map(sq).join(' ')}`,
  ];
  if (req.libc === 'glibc') lines.push('require_glibc');
  if (req.kernel !== null) lines.push(`require_kernel ${sq(req.kernel.version)} ${sq(causeText(req.kernel.forcedBy))}`);
  for (const lib of req.libraries) lines.push(`require_library ${sq(lib.name)} ${sq(causeText(lib.neededBy))}`);
  for (const floor of req.floors) lines.push(`require_floor ${sq(floor.family)} ${sq(floor.library)} ${sq(floor.version)} ${sq(causeText(floor.forcedBy))}`);
  for (const lib of req.libraries) {
    for (const need of lib.versions) lines.push(`require_version ${sq(lib.name)} ${sq(need.version)} ${sq(causeText(need.neededBy))}`);
  }
  return lines;
}

/** The whole script for a release's requirements. Deterministic: same requirements, same bytes. */
export function checkRequirementsScript(req: HostRequirements): string {
  return body().replace(MARKER, `${requirementLines(req).join('\n')}\n`);
}
