/**
 * Reading a manifest someone hands in. A missing or invalid manifest is a finding (doctor's
 * `manifest` check), never fatal to the caller; `readManifest` turns one into a ToolError for
 * callers that cannot go on without it (doctor diff).
 */
import { readFile } from 'node:fs/promises';
import { ToolError } from '../abi-gate/index.js';
import { validateManifest } from './manifest.js';
import type { Manifest } from './manifest-types.js';

export type ManifestLoad =
  | { state: 'ok'; file: string; manifest: Manifest }
  | { state: 'missing'; file: string }
  | { state: 'invalid'; file: string; errors: string[]; raw: unknown };

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
