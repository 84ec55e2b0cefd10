import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

const FIXTURES = new URL('../../fixtures/', import.meta.url);

export async function fixture(path: string): Promise<Buffer> {
  return readFile(new URL(path, FIXTURES));
}

export function fixturePath(path: string): string {
  return new URL(path, FIXTURES).pathname;
}

/** binutils' own view of a fixture, so tests do not take the scanner's word for it. */
export function readelf(args: string[], path: string): string {
  return execFileSync('readelf', [...args, fixturePath(path)], { encoding: 'utf8' });
}
