/** Good releases built by the real packager, the harness's starting points. */
import { cp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from '../packager/index.js';
import { loadRelease, type GoodRelease } from './release.js';

const FIXTURES = resolve(fileURLToPath(new URL('../fixtures', import.meta.url)));
export const COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** The committed sample server, as every packager test builds it. */
export async function buildSample(out: string, server = join(FIXTURES, 'server/sample')): Promise<GoodRelease> {
  const result = await build({
    server,
    commit: COMMIT,
    node: join(FIXTURES, 'server/node-stub/node'),
    native: [join(FIXTURES, 'server/native-linux-x64')],
    pruneForeign: true,
    out,
  });
  return loadRelease(result.tarball, result.manifestPath);
}

/**
 * The sample plus what stretches the writer: names past 100 and 255 bytes (ustar prefix, pax
 * path), a long link target (pax linkpath), links to files and folders, UTF-8 names, an
 * executable script, an empty file and an empty folder.
 */
export async function buildStretched(work: string, out: string): Promise<GoodRelease> {
  const server = join(work, 'server');
  await cp(join(FIXTURES, 'server/sample'), server, { recursive: true });
  const deep = join(server, 'node_modules', 'p'.repeat(90), 'q'.repeat(90));
  await mkdir(deep, { recursive: true });
  await writeFile(join(deep, 'index.js'), 'module.exports = 1;\n');
  const longer = join(server, 'node_modules', 'r'.repeat(200), 's'.repeat(120));
  await mkdir(longer, { recursive: true });
  await writeFile(join(longer, 't'.repeat(80) + '.js'), 'module.exports = 2;\n');
  await writeFile(join(server, 'ünïcødé-名前.txt'), 'utf-8\n');
  await writeFile(join(server, 'empty'), '');
  await mkdir(join(server, 'empty-folder'));
  await writeFile(join(server, 'run.sh'), '#!/bin/sh\necho ok\n', { mode: 0o755 });
  await symlink('out/server-main.js', join(server, 'main-link.js'));
  await symlink('out', join(server, 'out-link'));
  await symlink(`../../${'r'.repeat(200)}/${'s'.repeat(120)}/${'t'.repeat(80)}.js`, join(deep, 'far-link.js'));
  return buildSample(out, server);
}
