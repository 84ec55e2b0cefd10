import { readFile } from 'node:fs/promises';
import { validateManifest } from '../packager/manifest.js';
import type { ManifestLoad } from './verify-types.js';

/** `<tarball minus .tar.gz/.tgz>.manifest.json`, the packager's sidecar name. */
export function sidecarManifestPath(tarball: string): string {
  return tarball.replace(/\.(tar\.gz|tgz)$/, '') + '.manifest.json';
}

/** A missing or invalid manifest is a finding of the `manifest` check, never fatal. */
export async function loadManifest(file: string): Promise<ManifestLoad> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing', file };
    return { state: 'invalid', file, errors: [`cannot read it: ${(error as Error).message}`], raw: null };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { state: 'invalid', file, errors: [`not JSON: ${(error as Error).message}`], raw: null };
  }
  const result = validateManifest(raw);
  return result.ok ? { state: 'ok', file, manifest: result.manifest } : { state: 'invalid', file, errors: result.errors, raw };
}
