/**
 * The one place the manifest schema lives: packager writes manifests through it and doctor
 * validates them with it. The JSON Schema is published beside this file.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import type { Manifest } from './manifest-types.js';

/** Path of `manifest.schema.json` (beside the compiled module in dist/ as in the source tree). */
export const MANIFEST_SCHEMA_PATH = fileURLToPath(new URL('./manifest.schema.json', import.meta.url));

export type ManifestValidation = { ok: true; manifest: Manifest } | { ok: false; errors: string[] };

let validator: ValidateFunction | null = null;

function compiled(): ValidateFunction {
  if (validator === null) {
    const schema = JSON.parse(readFileSync(MANIFEST_SCHEMA_PATH, 'utf8')) as object;
    // Loaded with the first manifest checked, as abi-gate's policy.ts does: ajv is ~20 ms of
    // start-up that `doctor --version` or a usage error need not pay.
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    validator = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false, allowUnionTypes: true }).compile(schema);
  }
  return validator;
}

/** Checks a parsed manifest against the schema; each error names the JSON pointer at fault. */
export function validateManifest(value: unknown): ManifestValidation {
  const validate = compiled();
  if (validate(value)) return { ok: true, manifest: value as Manifest };
  const errors = (validate.errors ?? []).map((error) => `${error.instancePath === '' ? '/' : error.instancePath} ${error.message ?? 'is invalid'}`);
  return { ok: false, errors: [...new Set(errors)] };
}

/**
 * The manifest as packager writes it: schema-checked first (a manifest doctor would refuse is a
 * packager bug, never a file), two-space JSON, one trailing newline.
 */
export function serializeManifest(manifest: Manifest): string {
  const valid = validateManifest(manifest);
  if (!valid.ok) throw new Error(`internal: the manifest does not match its schema: ${valid.errors.join('; ')}`);
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
