// Bundles the compiled abi-gate CLI (dist/abi-gate/bin.js) with its dependencies into
// dist/abi-gate/abi-gate.mjs plus lazily loaded chunks, so that `abi-gate scan x.node` starts in
// under 2x `node -e 0`: Node 20's ESM loader spends most of a one-file scan resolving and
// linking yargs' ~40 modules. Lazy imports (tar, ajv, check) stay separate chunks.
import { readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
// Next to the compiled modules: the code finds policies/ and policy.schema.json beside itself.
const out = `${root}dist/abi-gate`;
for (const name of readdirSync(out)) if (/^(abi-gate|bundle-.*)\.mjs$/.test(name)) rmSync(`${out}/${name}`);
await build({
  input: { 'abi-gate': `${root}dist/abi-gate/bin.js` },
  platform: 'node',
  resolve: { alias: { 'string-width': `${root}abi-gate/bundle/string-width-ascii.mjs` } },
  // ajv is required at run time only for policy files; keep it out of the bundle.
  external: [/^node:/, 'ajv'],
  output: { dir: out, format: 'esm', entryFileNames: '[name].mjs', chunkFileNames: 'bundle-[name]-[hash].mjs' },
  logLevel: 'warn',
});
