/**
 * Reading a manifest someone hands in, strictly: a file over MAX_MANIFEST_BYTES is refused before
 * a byte of it is read into memory (a real manifest of a large server is a few MB), bytes that
 * are not UTF-8 and keys that appear twice are refused before the schema sees the value. Each
 * refusal is one line that says what and where. A missing or invalid manifest is a finding
 * (doctor's `manifest` check), never fatal to the caller.
 */
import { open } from 'node:fs/promises';
import { validateManifest } from './manifest.js';
import type { Manifest } from './manifest-types.js';
import { firstDuplicateKey, invalidUtf8At } from './strict-json.js';

/** 64 MiB: far above any real manifest, far below what would hurt to hold and parse. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

export type ManifestLoad =
  | { state: 'ok'; file: string; manifest: Manifest }
  | { state: 'missing'; file: string }
  | { state: 'invalid'; file: string; errors: string[]; raw: unknown };

type Bytes = { ok: true; bytes: Buffer } | { ok: false; missing: boolean; error: string };

/** At most `limit + 1` bytes: a file that grows after its size was taken is still bounded. */
async function readBounded(file: string, limit: number): Promise<Bytes> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === 'ENOENT', error: `cannot read it: ${(error as Error).message}` };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { ok: false, missing: false, error: 'cannot read it: not a regular file' };
    if (info.size > limit) return { ok: false, missing: false, error: tooLarge(info.size, limit) };
    const buffer = Buffer.alloc(Math.min(info.size, limit) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > limit) return { ok: false, missing: false, error: tooLarge(length, limit) };
      if (length === buffer.length) break;
    }
    return { ok: true, bytes: buffer.subarray(0, length) };
  } catch (error) {
    return { ok: false, missing: false, error: `cannot read it: ${(error as Error).message}` };
  } finally {
    await handle.close();
  }
}

function tooLarge(size: number, limit: number): string {
  return `${size} bytes, over the ${limit / 1024 / 1024} MiB a manifest may have: not read (a real manifest is a few MB)`;
}

/**
 * Manifest text from bytes, strictly: UTF-8, JSON, no key twice in one object. The errors are
 * the reasons, one line each; `raw` is the parsed value when there is one.
 */
export function parseManifestBytes(bytes: Buffer): { ok: true; value: unknown } | { ok: false; error: string; raw: unknown } {
  const bad = invalidUtf8At(bytes);
  if (bad !== -1) return { ok: false, error: `not valid UTF-8: byte 0x${(bytes[bad] as number).toString(16)} at offset ${bad}`, raw: null };
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}`, raw: null };
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== null) {
    return {
      ok: false,
      error: `key ${JSON.stringify(duplicate.key)} appears twice in ${duplicate.at}: readers that keep the first and readers that keep the last see different manifests`,
      raw: value,
    };
  }
  return { ok: true, value };
}

export async function loadManifest(file: string, limit = MAX_MANIFEST_BYTES): Promise<ManifestLoad> {
  const read = await readBounded(file, limit);
  if (!read.ok) return read.missing ? { state: 'missing', file } : { state: 'invalid', file, errors: [read.error], raw: null };
  const parsed = parseManifestBytes(read.bytes);
  if (!parsed.ok) return { state: 'invalid', file, errors: [parsed.error], raw: parsed.raw };
  const result = validateManifest(parsed.value);
  return result.ok ? { state: 'ok', file, manifest: result.manifest } : { state: 'invalid', file, errors: result.errors, raw: parsed.value };
}
