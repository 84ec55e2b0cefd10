import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from '../../../packager/index.js';
import { ROOT } from './docker-gate.js';

export const COMMIT = 'b0075eed0000000000000000000000000000c0de';

export const REAL_ADDON_PLACES = [
  'node_modules/node-pty/build/Release/pty.node',
  'node_modules/@parcel/watcher/prebuilds/linux-x64-glibc/watcher.node',
];

/** Where each fixtures/native variant goes in the server tree. */
const PLACES: Record<string, Record<string, string>> = {
  'glibc-2.34-pthread': { 'addon.node': 'node_modules/remote-ai-fixture/build/Release/addon.node' },
  'glibc-2.2.5': { 'addon.node': 'node_modules/remote-ai-fixture/build/Release/addon.node' },
  'abort-on-load': { 'addon.node': 'node_modules/remote-ai-crash/build/Release/crash.node' },
  'origin-helper': {
    'addon.node': 'node_modules/remote-ai-helper/build/Release/helper.node',
    'libhelper.so': 'node_modules/remote-ai-helper/build/Release/libhelper.so',
  },
  'missing-lib': { 'addon.node': 'node_modules/remote-ai-missing/build/Release/missing.node' },
  'runpath-no-inherit': {
    app: 'tools/chain/app',
    'lib/liba.so': 'tools/chain/lib/liba.so',
    'lib/libb.so': 'tools/chain/lib/libb.so',
  },
};

/**
 * A real release of the sample server (fixtures/server/sample) made by packager's build(), with
 * the node from the corpus and the named fixtures/native variants overlaid.
 */
const workDirs: string[] = [];

export async function removeFixtureTarballs(): Promise<void> {
  await Promise.all(workDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function buildFixtureTarball(node: string, variants: string[]): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'remote-ai-boot-fixture-'));
  workDirs.push(work);
  const overlay = join(work, 'overlay');
  // The sample's own Linux addons are stand-ins that node refuses ("did not self-register"):
  // real N-API builds take their places, as a release's --native overlay would.
  for (const place of REAL_ADDON_PLACES) {
    await mkdir(dirname(join(overlay, place)), { recursive: true });
    await cp(join(ROOT, 'fixtures', 'native', 'glibc-2.2.5', 'addon.node'), join(overlay, place));
  }
  for (const variant of variants) {
    for (const [from, to] of Object.entries(PLACES[variant] ?? {})) {
      await mkdir(dirname(join(overlay, to)), { recursive: true });
      await cp(join(ROOT, 'fixtures', 'native', variant, from), join(overlay, to));
    }
  }
  const result = await build({
    server: join(ROOT, 'fixtures', 'server', 'sample'),
    commit: COMMIT,
    out: join(work, 'dist'),
    node,
    native: [overlay],
    allowNew: true,
    pruneForeign: true,
    policy: 'none',
  });
  return result.tarball;
}
