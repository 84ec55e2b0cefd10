import type { CheckResult } from '../report-types.js';
import type { CheckContext } from '../verify-types.js';
import { fail, incompleteReason, indexByRelative, pass, skip, topFolder } from './tree.js';

export function checkNodeAbi(ctx: CheckContext): CheckResult {
  const { facts } = ctx;
  if (!facts.complete) return skip('node-abi', incompleteReason(facts));
  const details: string[] = [];
  const version = facts.nodeVersion;
  const expected = ctx.nodeModuleVersion;
  const top = topFolder(facts.entries);
  const hasNode = indexByRelative(facts).has('node');

  let napi = 0;
  let specific = 0;
  for (const [path, scan] of facts.binaries) {
    const addon = scan.node;
    if (addon === undefined || addon === null) continue;
    if (addon.napi) {
      napi += 1;
      continue;
    }
    specific += 1;
    if (addon.moduleVersion === null) {
      // A classic NODE_MODULE addon registers from a constructor; the ABI it was built for is
      // not readable from its symbols, so it cannot be cleared (abi-gate scan-file.ts).
      details.push(`${path}: an ABI-specific addon (registers through ${addon.registration ?? 'a constructor'}) whose NODE_MODULE_VERSION cannot be determined: rebuild it with NODE_MODULE_INIT or port it to N-API`);
      continue;
    }
    if (expected === null) {
      details.push(`${path}: built for NODE_MODULE_VERSION ${addon.moduleVersion}, but the bundled node's module version is unknown`);
    } else if (addon.moduleVersion !== expected) {
      details.push(
        `${path}: built for NODE_MODULE_VERSION ${addon.moduleVersion}, bundled node ${version ?? '?'} needs ${expected}: rebuild it against that node (or port it to N-API)`,
      );
    }
  }

  if (ctx.manifest.state === 'ok') {
    const claimed = ctx.manifest.manifest.node;
    if (version === null) {
      if (hasNode) details.push(`manifest says node ${claimed.version}, but no version could be read from ${top ?? '.'}/node`);
    } else if (claimed.version.replace(/^v/, '') !== version) {
      details.push(`manifest says node ${claimed.version}, the bundled binary is node ${version}`);
    }
    if (expected !== null && claimed.moduleVersion !== expected) {
      details.push(`manifest says NODE_MODULE_VERSION ${claimed.moduleVersion}, node ${version ?? '?'} has ${expected}`);
    }
  }

  if (details.length > 0) return fail('node-abi', `${details.length} node ABI mismatches: ${details[0]}`, details);
  if (!hasNode && specific === 0 && napi === 0) return skip('node-abi', 'no bundled node and no native modules to compare');
  if (version === null && specific === 0) {
    return skip('node-abi', `no node version string found in ${top ?? '.'}/node (official builds carry one); ${napi} N-API modules need none`);
  }
  const nodeText = version === null ? 'node version unknown' : `node ${version} (NODE_MODULE_VERSION ${expected ?? '?'})`;
  return pass('node-abi', `${specific} ABI-specific and ${napi} N-API modules match ${nodeText}`);
}
