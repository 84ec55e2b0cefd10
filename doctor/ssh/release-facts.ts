/**
 * What `doctor ssh` needs to know about a release before it touches the host, read locally in one
 * pass over the tarball (and a hash of its bytes beside it): its sha256, the sidecar manifest, the
 * commit and launcher name from product.json, the release's own host check, and how many bytes it
 * unpacks to.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { ToolError, readTar } from '../../abi-gate/index.js';
import type { Manifest } from '../../packager/index.js';
import { CHECK_SCRIPT_PATH, dropTopFolder, loadManifest, sidecarManifestPath } from '../../release/index.js';


export interface ReleaseFacts {
  tarball: string;
  sha256: string;
  size: number;
  manifest: Manifest | null;
  /** Why the sidecar manifest was not used (missing, invalid), for the record. */
  manifestNote: string | null;
  commit: string | null;
  serverApplicationName: string | null;
  /** The release's own host check, when it ships one. */
  hostCheck: Buffer | null;
  /** Sum of the regular files' sizes: what the install needs on the host's disk. */
  unpackedBytes: number;
}


export async function readReleaseFacts(tarball: string): Promise<ReleaseFacts> {
  let size: number;
  try {
    size = (await stat(tarball)).size;
  } catch (error) {
    throw new ToolError('TARBALL_UNREADABLE', `${tarball}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      hint: 'pass a release tarball made by packager build',
      exitCode: 2,
    });
  }
  // One read of the file: the hash is of the same bytes the tar reader inflates.
  let sha256: string | null = null;
  let product: Buffer | null = null;
  let hostCheck: Buffer | null = null;
  let unpackedBytes = 0;
  try {
    await readTar(tarball, (entry, body) => {
      // Returning nothing skips the body on the reader's fast path.
      if (entry.type !== 'file') return undefined;
      unpackedBytes += entry.size;
      const inside = dropTopFolder(entry.path);
      if (inside !== 'product.json' && inside !== CHECK_SCRIPT_PATH) return undefined;
      const chunks: Buffer[] = [];
      return body.forEach((chunk) => chunks.push(chunk)).then(() => {
        if (inside === 'product.json') product = Buffer.concat(chunks);
        else hostCheck = Buffer.concat(chunks);
      });
    }, { label: tarball, onRawHashed: (digest) => void (sha256 = digest) });
  } catch (error) {
    throw new ToolError('TARBALL_UNREADABLE', `${tarball}: not a readable .tar.gz: ${(error as Error).message}`, {
      hint: 'run doctor verify on it',
      exitCode: 2,
    });
  }
  const loaded = await loadManifest(sidecarManifestPath(tarball));
  const manifest = loaded.state === 'ok' ? loaded.manifest : null;
  const manifestNote =
    loaded.state === 'ok' ? null : loaded.state === 'missing' ? `no manifest at ${loaded.file}` : `manifest ${loaded.file} is invalid: ${loaded.errors[0] ?? ''}`;
  let commit: string | null = manifest?.commit ?? null;
  let serverApplicationName: string | null = null;
  if (product !== null) {
    try {
      const parsed = JSON.parse((product as Buffer).toString('utf8')) as { commit?: unknown; serverApplicationName?: unknown };
      if (typeof parsed.commit === 'string' && commit === null) commit = parsed.commit;
      if (typeof parsed.serverApplicationName === 'string') serverApplicationName = parsed.serverApplicationName;
    } catch {
      // An unparsable product.json is verify's finding; here the launcher is found by listing bin/.
    }
  }
  if (sha256 === null) throw new ToolError('TARBALL_UNREADABLE', `${tarball}: read to its end but not hashed`, { exitCode: 2 });
  return { tarball, sha256, size, manifest, manifestNote, commit, serverApplicationName, hostCheck, unpackedBytes };
}
