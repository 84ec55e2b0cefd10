// The last step of `npm run build`: the files package.json's `bin` names become executable, as
// npm makes them when it installs a package. `npx packager` in this checkout runs
// dist/packager/bin.js directly, and the build empties dist/ first, so without this an
// `npm test` (which builds) leaves `npx packager` failing with "Permission denied".
import { chmodSync, readFileSync } from 'node:fs';

const { bin } = JSON.parse(readFileSync('package.json', 'utf8'));
for (const file of Object.values(bin)) chmodSync(file, 0o755);
