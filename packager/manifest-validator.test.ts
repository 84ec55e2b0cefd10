import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import standaloneCode from 'ajv/dist/standalone/index.js';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../abi-gate/test-support/index.js';
import { compileManifestSchema, MANIFEST_VALIDATOR_PATH } from '../release/index.js';
import { build } from './index.js';

// The build writes the manifest schema's validator as code (scripts/precompile-schema.mjs) and
// doctor loads it instead of compiling the schema. Both must judge every manifest alike.
const dir = mkdtempSync(join(tmpdir(), 'manifest-validator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The standalone code, run as the CommonJS module it is (its ajv runtime helpers resolved from here). */
function precompiledHere(): ValidateFunction {
  const { ajv, validate } = compileManifestSchema({ code: { source: true, esm: false } });
  const module = { exports: {} as unknown };
  new Function('module', 'exports', 'require', standaloneCode.default(ajv, validate))(module, module.exports, createRequire(import.meta.url));
  return module.exports as ValidateFunction;
}

function verdict(validate: ValidateFunction, value: unknown): { ok: boolean; errors: string[] } {
  const ok = validate(value) as boolean;
  return { ok, errors: (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`).sort() };
}

describe('the precompiled manifest validator', () => {
  let manifest: Record<string, unknown> = {};
  beforeAll(async () => {
    const result = await build({
      server: join(FIXTURES, 'server/sample'),
      commit: '0123456789abcdef0123456789abcdef01234567',
      node: join(FIXTURES, 'server/node-stub/node'),
      native: [join(FIXTURES, 'server/native-linux-x64')],
      pruneForeign: true,
      out: join(dir, 'out'),
    });
    manifest = JSON.parse(readFileSync(result.manifestPath, 'utf8')) as Record<string, unknown>;
  });

  it('judges a real manifest and broken ones exactly as the schema compiled at run time', () => {
    const runtime = compileManifestSchema().validate;
    const precompiled = precompiledHere();
    const files = manifest['files'] as Record<string, unknown>[];
    const cases: unknown[] = [
      manifest,
      {},
      { ...manifest, schemaVersion: 99 },
      { ...manifest, commit: 'not-a-commit' },
      { ...manifest, files: [{ ...files[0], sha256: 'zz' }, ...files.slice(1)] },
      { ...manifest, files: [...files, { path: 'x', type: 'socket' }] },
      // New keys may be added (the manifest is a contract that grows).
      { ...manifest, extra: { nested: true } },
    ];
    const verdicts = cases.map((c) => verdict(precompiled, c));
    expect(verdicts.map((v) => v.ok)).toEqual([true, false, false, false, false, false, true]);
    expect(verdicts.filter((v) => !v.ok).every((v) => v.errors.length > 0)).toBe(true);
    expect(verdicts).toEqual(cases.map((c) => verdict(runtime, c)));
  });

});

const BUILT = join(import.meta.dirname, '..', 'dist', 'release', basename(MANIFEST_VALIDATOR_PATH));
describe.skipIf(!existsSync(BUILT) && process.env['CI'] !== 'true')('the built validator (skipped when not built: run `npm run build`)', () => {
  it('is in dist/, beside the schema, as the build wrote it from the current schema', () => {
    const { ajv, validate } = compileManifestSchema({ code: { source: true, esm: false } });
    expect(readFileSync(BUILT, 'utf8')).toContain(standaloneCode.default(ajv, validate));
  });
});
