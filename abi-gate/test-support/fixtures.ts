import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
export const ELF_FIXTURES = join(FIXTURES, 'elf');

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
