import { machineOf, normalizeArchivePath } from '../../release/index.js';
import type { CheckResult } from '../report-types.js';
import type { CheckContext, EntryFact } from '../verify-types.js';
import { fail, incompleteReason, indexByRelative, pass, skip, topFolder } from './tree.js';

const EXEC = 0o111;

function isExecutableFile(entry: EntryFact | undefined): boolean {
  return entry !== undefined && entry.kind === 'file' && (entry.mode & EXEC) !== 0;
}

export function checkLayout(ctx: CheckContext): CheckResult {
  const { facts } = ctx;
  if (!facts.complete) return skip('layout', incompleteReason(facts));
  const problems: string[] = [];
  const top = topFolder(facts.entries);
  if (top === null) {
    const tops = [...new Set(facts.entries.map((e) => normalizeArchivePath(e.path).split('/')[0]))].slice(0, 5);
    return fail('layout', `no single top-level folder (found ${tops.join(', ')}${tops.length === 5 ? ', ...' : ''}): the resolver strips exactly one`);
  }
  const index = indexByRelative(facts);

  const node = index.get('node');
  if (node === undefined) problems.push(`${top}/node is missing: the server cannot start without its bundled node`);
  else if (!isExecutableFile(node)) problems.push(`${top}/node is not an executable file (mode ${node.mode.toString(8)}, ${node.kind})`);
  else {
    const scan = facts.binaries.get(node.path);
    const want = machineOf(ctx.arch);
    if (scan === undefined || scan.format !== 'elf') {
      problems.push(`${top}/node is not a Linux ELF (${scan?.format ?? 'not a native binary'}): overlay a Linux node with packager --node`);
    } else if (scan.machine !== want) {
      problems.push(`${top}/node is an ELF for ${scan.machine ?? 'an unknown machine'}, not ${want} (${ctx.archSource})`);
    }
  }

  const launchers = ctx.launcherName === null ? [...index.keys()].filter((p) => /^bin\/[^/]+$/.test(p)) : [`bin/${ctx.launcherName}`];
  const launcherOk = launchers.some((p) => isExecutableFile(index.get(p)) || index.get(p)?.kind === 'symlink');
  if (!launcherOk) {
    const which = ctx.launcherName === null ? `${top}/bin/<name>` : `${top}/bin/${ctx.launcherName}`;
    const entry = ctx.launcherName === null ? undefined : index.get(`bin/${ctx.launcherName}`);
    problems.push(
      entry === undefined
        ? `${which} is missing: the IDE starts the server through it`
        : `${which} is not executable (mode ${entry.mode.toString(8)}): chmod 0755 and repack`,
    );
  }

  for (const file of ['out/server-main.js', 'product.json']) {
    if (index.get(file)?.kind !== 'file') problems.push(`${top}/${file} is missing`);
  }
  const hasExtensions = [...index.keys()].some((p) => p === 'extensions' || p.startsWith('extensions/'));
  if (!hasExtensions) problems.push(`${top}/extensions/ is missing`);

  if (problems.length > 0) return fail('layout', `${problems.length} layout problems in ${top}/: ${problems[0]}`, problems);
  return pass('layout', `${top}/ holds node (${machineOf(ctx.arch)} ELF), ${launchers[0] ?? 'bin/'}, out/server-main.js, product.json, extensions/`);
}
