import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fixturePath } from '../../abi-gate/test-support/index.js';

export { fixturePath };

export async function fixture(path: string): Promise<Buffer> {
  return readFile(fixturePath(path));
}

/** binutils' own view of a fixture, so tests do not take the scanner's word for it. */
export function readelf(args: string[], path: string): string {
  return execFileSync('readelf', [...args, fixturePath(path)], { encoding: 'utf8' });
}
