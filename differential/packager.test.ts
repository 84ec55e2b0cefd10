/**
 * Every packager output is the canonical format, passes doctor, and installs exactly its
 * manifest's file list with GNU tar (as root and as nobody) and node-tar.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../packager/index.js';
import { checkReleaseFormat } from '../release/index.js';
import { buildSample, buildStretched } from './good-release.js';
import { readerView } from './release.js';
import { verifyAndInstall } from './run-case.js';
import { CAN_RUN, SKIP_REASON, describeDifferences, useWorkspace } from './setup.js';

describe.skipIf(!CAN_RUN)(`packager outputs${CAN_RUN ? '' : ` (skipped: ${SKIP_REASON})`}`, () => {
  const ws = useWorkspace();

  for (const [name, make] of [
    ['the sample server', (dir: string) => buildSample(join(dir, 'out'))],
    ['long names, long links, UTF-8, links to files and folders', (dir: string) => buildStretched(dir, join(dir, 'out'))],
  ] as const) {
    it(`${name}: canonical, passes doctor, installs identically with GNU tar (root, nobody) and node-tar`, async () => {
      const dir = join(ws().dir, name.replace(/\W+/g, '-'));
      await mkdir(dir, { recursive: true, mode: 0o755 });
      const release = await make(dir);
      const manifest = JSON.parse(await readFile(release.tarball.replace(/\.tar\.gz$/, '.manifest.json'), 'utf8')) as Manifest;
      expect((await checkReleaseFormat(release.tarball)).violations).toEqual([]);
      // doctor's reader sees exactly the manifest's list (the independent side: packager's tree).
      const view = await readerView(release.tarball);
      expect(view?.map((f) => f.path).sort()).toEqual(manifest.files.map((f) => f.path).sort());
      const outcome = await verifyAndInstall(ws(), dir, release.tarball, manifest.files, manifest.commit, true);
      expect(outcome.failed).toEqual([]);
      expect(outcome.doctorOk).toBe(true);
      expect(describeDifferences(outcome.differences)).toBe('');
      if (name.startsWith('long')) {
        const paths = manifest.files.map((f) => f.path);
        expect(paths.some((p) => Buffer.byteLength(p) > 255)).toBe(true);
        expect(manifest.files.some((f) => f.type === 'symlink' && Buffer.byteLength(f.linkTarget ?? '') > 100)).toBe(true);
      }
    });
  }
});
