/**
 * What `packager build` prints: the human summary and the `--json` body. Every string from an
 * input (paths, node source, culprits) is shown visibly (abi-gate's escape/terminal.ts); C++
 * culprits are demangled with one c++filt call; fix hints follow the culprits they explain.
 */
import { cxxfilt, demangleJson, demangleText, fixHints, hintLines, readable, visible } from '../abi-gate/index.js';
import type { BuildResult } from './build.js';
import { strippedTotal } from './tree.js';

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function renderHuman(result: BuildResult, env: NodeJS.ProcessEnv = process.env): string {
  const { manifest } = result;
  const v = visible;
  const lines = [`built ${v(result.tarball)} (${megabytes(manifest.tarball.size)}, sha256 ${manifest.tarball.sha256})`];
  lines.push(`  manifest  ${v(result.manifestPath)}`, `  sums      ${v(result.sumsPath)}`);
  const n = manifest.node;
  lines.push(`  node      ${v(n.version)} (NODE_MODULE_VERSION ${n.moduleVersion}, ${n.flavor}) from ${v(n.source)}`);
  const s = result.stripped;
  lines.push(
    `  stripped  ${strippedTotal(s)} macOS leftovers (._* ${s.appleDouble}, __MACOSX ${s.macosx}, .DS_Store ${s.dsStore}, xattr pax headers ${s.xattrHeaders})`,
  );
  for (const change of result.natives) lines.push(`  ${change.action.padEnd(9)} ${v(change.path)} (from ${v(change.from)})`);
  for (const pruned of result.pruned) lines.push(`  pruned    ${v(pruned.path)} (${v(pruned.reason)})`);
  if (result.commitSet) lines.push(`  commit    set in product.json to ${v(manifest.commit)}`);
  lines.push(`  launcher  bin/${v(manifest.name)} (${result.launcher === 'server' ? "the server's own" : 'generated'})`);
  const abi = manifest.abi;
  const policy = abi.policy === 'none' ? 'no policy gate' : `policy ${v(abi.policy)} passed`;
  lines.push(`  abi       GLIBC ${v(abi.minGlibc ?? '-')}, GLIBCXX ${v(abi.minGlibcxx ?? '-')}, CXXABI ${v(abi.minCxxabi ?? '-')}; ${policy}`);
  const all = Object.values(abi.culprits).flat();
  const names = cxxfilt(env).demangle(all.flatMap((c) => (c.symbol === null ? [] : [c.symbol])));
  for (const [family, culprits] of Object.entries(abi.culprits)) {
    for (const c of culprits.slice(0, 5)) {
      const symbol = c.symbol === null ? '(version entry)' : readable(c.symbol, names);
      lines.push(`            ${v(family)}: ${v(`${symbol}@${c.version}`)} from ${v(c.library)} in ${v(c.path)}`);
    }
    if (culprits.length > 5) lines.push(`            ${v(family)}: ... ${culprits.length - 5} more in the manifest`);
  }
  for (const hint of hintLines(fixHints(all), (c) => v(demangleText(c, names)))) lines.push(`  ${hint}`);
  return `${lines.join('\n')}\n`;
}

/** The `--json` body (a contract: keys are only added); culprits carry `demangled` beside `symbol`. */
export function renderJson(result: BuildResult, env: NodeJS.ProcessEnv = process.env): string {
  const { manifest } = result;
  const body = {
    ok: true,
    tarball: result.tarball,
    manifest: result.manifestPath,
    sums: result.sumsPath,
    sha256: manifest.tarball.sha256,
    size: manifest.tarball.size,
    name: manifest.name,
    commit: manifest.commit,
    arch: manifest.target.arch,
    node: manifest.node,
    abi: manifest.abi,
    hints: fixHints(Object.values(manifest.abi.culprits).flat()),
    stripped: result.stripped,
    natives: result.natives,
    pruned: result.pruned,
    commitSet: result.commitSet,
    launcher: result.launcher,
    warnings: result.policy?.warnings.map((w) => w.message) ?? [],
  };
  return `${JSON.stringify(demangleJson(body, cxxfilt(env)), null, 2)}\n`;
}
