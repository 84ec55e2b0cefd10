import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../release/index.js';
import { buildGoodTarball, COMMIT } from '../test-support/good-tarball.js';
import { mutateTarball, sidecarOf, type RawEntry } from '../test-support/hostile-tarballs.js';
import { checkOf, failedIds, useTempDir, verifyOne } from '../test-support/run.js';

const dir = useTempDir('manifest');
let good: { tarball: string; manifest: string };

beforeAll(async () => {
  const result = await buildGoodTarball(join(dir(), 'good'));
  good = { tarball: result.tarball, manifest: result.manifestPath };
});

const OTHER = 'fedcba9876543210fedcba9876543210fedcba98';

/** A copy of the good release in its own folder, re-packed through `mutate`, with a fixed-up manifest. */
async function variant(
  name: string,
  mutate: (entries: RawEntry[]) => RawEntry[],
  editManifest?: (manifest: Record<string, unknown>) => void,
  fileName = basename(good.tarball),
): Promise<string> {
  await mkdir(join(dir(), name), { recursive: true });
  const dest = join(dir(), name, fileName);
  await mutateTarball(good.tarball, dest, mutate, editManifest === undefined ? { manifest: good.manifest } : { manifest: good.manifest, editManifest });
  return dest;
}

const rel = (entry: RawEntry): string => entry.path.replace(/^[^/]+\//, '');

describe('manifest', () => {
  it('passes the release packager built', async () => {
    const tarball = await verifyOne(good.tarball);
    expect(failedIds(tarball)).toEqual([]);
    expect(tarball.checks.map((c) => c.ok)).toEqual(Array(11).fill(true));
  });

  it('a re-pack with an updated manifest passes too (the builder itself changes nothing)', async () => {
    expect(failedIds(await verifyOne(await variant('repack', (e) => e)))).toEqual([]);
  });

  it('fails when the sidecar is missing, while the other checks still run and pass', async () => {
    await mkdir(join(dir(), 'alone'), { recursive: true });
    const file = join(dir(), 'alone', basename(good.tarball));
    await copyFile(good.tarball, file);
    const tarball = await verifyOne(file);
    expect(checkOf(tarball, 'manifest').message).toMatch(/^no manifest: expected .*\.manifest\.json beside the tarball/);
    expect(failedIds(tarball)).toEqual(['manifest']);
  });

  it('uses --manifest when given', async () => {
    const file = join(dir(), 'alone', basename(good.tarball));
    expect(failedIds(await verifyOne(file, { manifest: good.manifest }))).toEqual([]);
  });

  it('fails a manifest that breaks its schema', async () => {
    const file = await variant('schema', (e) => e, (m) => {
      delete m.commit;
    });
    const check = checkOf(await verifyOne(file), 'manifest');
    expect(check.ok).toBe(false);
    expect(check.message).toMatch(/is not a valid manifest/);
  });

  /** The good manifest's bytes, edited as text: what no schema-checking writer would produce. */
  async function rawManifestVariant(name: string, edit: (text: string) => Buffer | string): Promise<string> {
    const file = join(dir(), name, basename(good.tarball));
    await mkdir(join(dir(), name), { recursive: true });
    await copyFile(good.tarball, file);
    await writeFile(file.replace(/\.tar\.gz$/, '.manifest.json'), edit(await readFile(good.manifest, 'utf8')));
    return file;
  }

  it('fails a manifest with a key twice, at the top or deep inside, naming it and where', async () => {
    const top = await rawManifestVariant('dup-top', (t) => t.replace('{', `{\n  "commit": "${'f'.repeat(40)}",`));
    const topCheck = checkOf(await verifyOne(top), 'manifest');
    expect(topCheck.ok).toBe(false);
    expect(topCheck.message).toMatch(/is not a valid manifest: key "commit" appears twice in \/: readers that keep the first/);
    // Escaped spelling of the same key, in the third file record.
    const deep = await rawManifestVariant('dup-deep', (t) => {
      const manifest = JSON.parse(t) as { files: unknown[] };
      const text = JSON.stringify(manifest, null, 2);
      let at = text.indexOf('"files"');
      for (let i = 0; i < 3; i++) at = text.indexOf('"path"', at + 1);
      return `${text.slice(0, at)}"\\u0070ath": "x",\n      ${text.slice(at)}`;
    });
    expect(checkOf(await verifyOne(deep), 'manifest').message).toMatch(/key "path" appears twice in \/files\/2:/);
  });

  it('fails a manifest that is not UTF-8, naming the byte', async () => {
    const file = await rawManifestVariant('utf8', (t) => Buffer.concat([Buffer.from(t.slice(0, 20)), Buffer.from([0xc0, 0xaf]), Buffer.from(t.slice(20))]));
    expect(checkOf(await verifyOne(file), 'manifest').message).toMatch(/is not a valid manifest: not valid UTF-8: byte 0xc0 at offset 20$/);
  });

  it('refuses a manifest over 64 MiB without reading it', async () => {
    const file = await rawManifestVariant('huge', (t) => t);
    const { truncate } = await import('node:fs/promises');
    // Sparse: 64 MiB + 1 byte of size costs no disk, and the reader must not read it anyway.
    await truncate(file.replace(/\.tar\.gz$/, '.manifest.json'), 64 * 1024 * 1024 + 1);
    expect(checkOf(await verifyOne(file), 'manifest').message).toMatch(/is not a valid manifest: 67108865 bytes, over the 64 MiB a manifest may have/);
  });

  it('fails when file name, manifest and node disagree on the arch, naming all three', async () => {
    const file = await variant('arch', (e) => e, (m) => {
      (m.target as Record<string, unknown>).arch = 'arm64';
    });
    const check = checkOf(await verifyOne(file), 'manifest');
    expect(check.details).toContain('target arch disagrees: the file name says x64, the manifest says arm64, node is an ELF for x86_64 (x64)');
  });

  it('fails a tarball sha256 and size mismatch', async () => {
    const file = await variant('sha', (e) => e, (m) => {
      (m.tarball as Record<string, unknown>).sha256 = '0'.repeat(64);
      (m.tarball as Record<string, unknown>).size = 1;
    });
    const check = checkOf(await verifyOne(file), 'manifest');
    expect(check.details?.some((d) => /^tarball sha256 is [0-9a-f]{64}, the manifest says 0{64}$/.test(d))).toBe(true);
    expect(check.details?.some((d) => /^tarball size is \d+ bytes, the manifest says 1$/.test(d))).toBe(true);
  });

  it('fails a file in the manifest that the tarball lacks', async () => {
    const file = await variant('missing', (e) => e.filter((x) => rel(x) !== 'node_modules/cookie/index.js'));
    const check = checkOf(await verifyOne(file), 'manifest');
    expect(check.details).toContain('missing: node_modules/cookie/index.js is in the manifest but not in the tarball');
  });

  it('fails a file in the tarball that the manifest does not list', async () => {
    const file = await variant('extra', (e) => e, (m) => {
      m.files = (m.files as { path: string }[]).filter((f) => f.path !== 'node_modules/cookie/index.js');
    });
    const check = checkOf(await verifyOne(file), 'manifest');
    expect(check.details?.some((d) => d.startsWith('extra: node_modules/cookie/index.js (file,'))).toBe(true);
  });

  it('fails an altered file, naming size and sha256', async () => {
    const file = await variant('altered', (e) =>
      e.map((x) => (rel(x) === 'node_modules/cookie/index.js' ? { ...x, content: 'module.exports = () => "pwned";\n' } : x)),
    );
    const check = checkOf(await verifyOne(file), 'manifest');
    expect(check.details?.some((d) => /^altered: node_modules\/cookie\/index\.js \(size \d+ -> 32, sha256 /.test(d))).toBe(true);
  });

  it('fails an altered mode (a launcher that lost its exec bit)', async () => {
    const file = await variant('mode', (e) => e.map((x) => (rel(x) === 'bin/helpers/check-requirements.sh' ? { ...x, mode: 0o644 } : x)));
    const check = checkOf(await verifyOne(file), 'manifest');
    expect(check.details).toContain('altered: bin/helpers/check-requirements.sh (mode 0755 -> 0644)');
  });

  it('fails a commit that differs from the file name', async () => {
    const file = await variant('name', (e) => e, undefined, basename(good.tarball).replace(COMMIT, OTHER));
    const check = checkOf(await verifyOne(file), 'manifest');
    expect(check.details).toContain(`commit: the file name says ${OTHER}, the manifest says ${COMMIT}`);
  });

  it('fails a commit that differs from product.json', async () => {
    const file = await variant('product', (e) =>
      e.map((x) => {
        if (rel(x) !== 'product.json') return x;
        const product = JSON.parse(String(x.content)) as Record<string, unknown>;
        return { ...x, content: JSON.stringify({ ...product, commit: OTHER }) };
      }),
    );
    const check = checkOf(await verifyOne(file), 'manifest');
    expect(check.details).toContain(`commit: product.json says ${OTHER}, the manifest says ${COMMIT}`);
  });

  it('fails an abi section that is not what the binaries need', async () => {
    const file = await variant('abi', (e) => e, (m) => {
      (m.abi as Record<string, unknown>).minGlibc = '2.17';
      (m.abi as Record<string, unknown>).minGlibcxx = '3.4.19';
    });
    const check = checkOf(await verifyOne(file), 'manifest');
    expect(check.details).toContain('abi: min glibc is 2.2.5 in the tarball, the manifest says 2.17');
    expect(check.details).toContain('abi: min GLIBCXX is none in the tarball, the manifest says 3.4.19');
  });

  it('fails an abi section whose culprits are not what the binaries carry', async () => {
    const file = await variant('abi-culprits', (e) => e, (raw) => {
      const culprits = (raw as unknown as Manifest).abi.culprits;
      const glibc = culprits['GLIBC'] ?? [];
      expect(glibc.length).toBeGreaterThan(0);
      culprits['GLIBC'] = [...glibc.slice(1), { ...glibc[0]!, symbol: 'not_a_real_symbol' }];
    });
    const check = checkOf(await verifyOne(file), 'manifest');
    expect(check.ok).toBe(false);
    expect(check.details?.some((d) => d.startsWith('abi: GLIBC culprits missing from the manifest: '))).toBe(true);
    expect(check.details?.some((d) => d.includes('culprits in the manifest that no binary has') && d.includes('not_a_real_symbol@'))).toBe(true);
  });

  it('fails node-abi when the manifest names another node than the binary', async () => {
    const file = await variant('node-version', (e) => e, (m) => {
      (m.node as Record<string, unknown>).version = '20.18.2';
      (m.node as Record<string, unknown>).moduleVersion = 115;
    });
    const tarball = await verifyOne(file);
    const check = checkOf(tarball, 'node-abi');
    expect(check.details).toContain('manifest says node 20.18.2, the bundled binary is node 16.20.2');
    expect(check.details).toContain('manifest says NODE_MODULE_VERSION 115, node 16.20.2 has 93');
    expect(failedIds(tarball)).toEqual(['node-abi']);
  });

  it('reads the sidecar by the tarball name, never another release\'s', async () => {
    expect(sidecarOf('/x/a-b.tar.gz')).toBe('/x/a-b.manifest.json');
    expect(JSON.parse(await readFile(good.manifest, 'utf8')).tarball.file).toBe(basename(good.tarball));
    await writeFile(join(dir(), 'unused'), '');
  });
});
