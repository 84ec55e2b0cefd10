// Copies the JSON assets (built-in policies, JSON Schemas) next to the compiled code, so that
// `dist/` is self-contained and the published schemas sit where the code reads them.
import { cpSync, readdirSync, statSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';

const roots = ['abi-gate', 'release', 'packager', 'doctor'];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.json') || name.endsWith('.sh')) {
      const target = join('dist', path);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}
for (const root of roots) walk(root);
