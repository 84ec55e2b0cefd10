/** The one way tests find fixtures: `fixturePath('elf', 'napi-addon.node')`. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The repository's `fixtures/` folder, wherever the test runs from. */
export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
export const ELF_FIXTURES = join(FIXTURES, 'elf');

/** A path below `fixtures/`, from its parts or a '/'-separated path. */
export function fixturePath(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

/** Every ELF file below a folder (by magic), sorted, as paths relative to it. */
export function elfFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size >= 4 && readFileSync(p).subarray(0, 4).toString('latin1') === '\x7fELF') out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}
