/** A good release built by the real packager from the committed sample server. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from '../../abi-gate/test-support/index.js';
import { build, type BuildResult } from '../../packager/index.js';

export { FIXTURES };
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const COMMIT = '0123456789abcdef0123456789abcdef01234567';

export async function buildGoodTarball(out?: string, commit = COMMIT): Promise<BuildResult> {
  return build({
    server: join(FIXTURES, 'server/sample'),
    commit,
    node: join(FIXTURES, 'server/node-stub/node'),
    native: [join(FIXTURES, 'server/native-linux-x64')],
    pruneForeign: true,
    out: out ?? (await mkdtemp(join(tmpdir(), 'doctor-good-'))),
  });
}
