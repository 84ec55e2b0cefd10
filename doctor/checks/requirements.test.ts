import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGoodTarball } from '../test-support/good-tarball.js';
import { withHostCheck } from '../test-support/host-check.js';
import { buildTarGz, mutateTarball, serverEntries, sha256, TOP, type RawEntry } from '../test-support/hostile-tarballs.js';
import { checkOf, failedIds, useTempDir, verifyOne } from '../test-support/run.js';

const dir = useTempDir('requirements');
const SCRIPT = 'bin/helpers/check-requirements.sh';
const NATIVE = join(import.meta.dirname, '..', '..', 'fixtures', 'native');
const STOCK = join(import.meta.dirname, '..', '..', 'fixtures', 'server', 'sample', SCRIPT);
let good: { tarball: string; manifest: string };

beforeAll(async () => {
  const result = await buildGoodTarball(join(dir(), 'good'));
  good = { tarball: result.tarball, manifest: result.manifestPath };
});

/**
 * The good release with its script replaced by `content`; the manifest's file list is updated to
 * match, so only `requirements` can tell (a release edited together with its manifest).
 */
async function withScript(name: string, content: (original: string) => string, mode = 0o755): Promise<string> {
  await mkdir(join(dir(), name), { recursive: true });
  const dest = join(dir(), name, basename(good.tarball));
  let bytes = Buffer.alloc(0);
  await mutateTarball(
    good.tarball,
    dest,
    (entries) =>
      entries.map((e) => {
        if (!e.path.endsWith(`/${SCRIPT}`)) return e;
        bytes = Buffer.from(content(String(e.content)));
        return { ...e, content: bytes, mode };
      }),
    {
      manifest: good.manifest,
      editManifest: (m) => {
        const file = (m.files as { path: string; sha256: string; size: number; mode: string }[]).find((f) => f.path === SCRIPT);
        if (file !== undefined) Object.assign(file, { sha256: sha256(bytes), size: bytes.length, mode: `0${mode.toString(8)}` });
      },
    },
  );
  return dest;
}

describe('requirements', () => {
  it('passes the release packager built, summing up what its script asks for', async () => {
    const check = checkOf(await verifyOne(good.tarball), 'requirements');
    expect(check.ok).toBe(true);
    expect(check.message).toMatch(/^remote-ai-server-\w+-linux-x64\/bin\/helpers\/check-requirements\.sh asks for exactly what the binaries need: x86_64 glibc, GLIBC [\d.]+, .*\d+ system libraries$/);
  });

  it("fails the server build's stock script (ldd --version, a fixed 2.17), although the manifest lists it", async () => {
    const stock = await readFile(STOCK, 'utf8');
    const tarball = await verifyOne(await withScript('stock', () => stock));
    expect(failedIds(tarball)).toEqual(['requirements']);
    expect(checkOf(tarball, 'requirements').message).toMatch(/check-requirements\.sh is not the script the release's binaries call for \(sha256 \w{12}…, \d+ bytes; expected \w{12}…, \d+ bytes\): the server build's stock script, an edited or a stale one; rebuild with packager build$/);
  });

  it('fails a script edited by one number', async () => {
    const tarball = await verifyOne(await withScript('edited', (s) => {
      const edited = s.replace(/require_floor 'GLIBC' 'libc\.so\.6' '[\d.]+'/, "require_floor 'GLIBC' 'libc.so.6' '2.28'");
      expect(edited).not.toBe(s);
      return edited;
    }));
    expect(failedIds(tarball)).toEqual(['requirements']);
  });

  it('fails a script that is not executable', async () => {
    const tarball = await verifyOne(await withScript('mode-0644', (s) => s, 0o644));
    expect(failedIds(tarball)).toEqual(['requirements']);
    expect(checkOf(tarball, 'requirements').message).toMatch(/check-requirements\.sh is not an executable file \(file, mode 644\): the IDE cannot run it$/);
  });

  it('fails a release without the script', async () => {
    await mkdir(join(dir(), 'none'), { recursive: true });
    const file = join(dir(), 'none', `${TOP}.tar.gz`);
    await writeFile(file, buildTarGz((await serverEntries()).filter((e) => !e.path.endsWith(`/${SCRIPT}`))));
    const check = checkOf(await verifyOne(file, { policy: 'none' }), 'requirements');
    expect(check).toEqual({
      id: 'requirements',
      ok: false,
      message: `${TOP}/${SCRIPT} is missing: the IDE runs it before starting the server (rebuild with packager build, which generates it)`,
    });
  });

  it('fails a stale script: a native module needing GLIBC 2.34 added after it was generated', async () => {
    await mkdir(join(dir(), 'stale'), { recursive: true });
    const file = join(dir(), 'stale', `${TOP}.tar.gz`);
    const module: RawEntry = { path: `${TOP}/node_modules/pt/build/Release/addon.node`, mode: 0o755, content: await readFile(join(NATIVE, 'glibc-2.34-pthread', 'addon.node')) };
    await writeFile(file, buildTarGz([...withHostCheck(await serverEntries(), TOP), module]));
    expect(checkOf(await verifyOne(file, { policy: 'none' }), 'requirements').ok).toBe(false);
    // The same files with the script generated after the module pass.
    const fresh = join(dir(), 'stale', 'fresh', `${TOP}.tar.gz`);
    await mkdir(join(dir(), 'stale', 'fresh'), { recursive: true });
    await writeFile(fresh, buildTarGz(withHostCheck([...(await serverEntries()), module], TOP)));
    expect(checkOf(await verifyOne(fresh, { policy: 'none' }), 'requirements').ok).toBe(true);
  });

  it("fails a manifest whose hostRequirements are not what the binaries need, naming the difference", async () => {
    await mkdir(join(dir(), 'manifest'), { recursive: true });
    const dest = join(dir(), 'manifest', basename(good.tarball));
    await mutateTarball(good.tarball, dest, (e) => e, {
      manifest: good.manifest,
      editManifest: (m) => {
        const host = m.hostRequirements as { floors: { family: string; version: string }[] };
        const glibc = host.floors.find((f) => f.family === 'GLIBC');
        if (glibc !== undefined) glibc.version = '2.28';
      },
    });
    const check = checkOf(await verifyOne(dest), 'requirements');
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/^the manifest's hostRequirements differ from what the binaries need: floors GLIBC 2\.28(, [^,]+)* in the manifest, GLIBC (?!2\.28)[\d.]+(, [^,]+)* in the binaries$/);
  });
});
