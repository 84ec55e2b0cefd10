import { readFile } from 'node:fs/promises';

let cached: string | null = null;

/** The toolkit's version from its package.json, found above this module in source and in dist/. */
export async function packageVersion(): Promise<string> {
  if (cached !== null) return cached;
  for (const relative of ['../package.json', '../../package.json']) {
    const text = await readFile(new URL(relative, import.meta.url), 'utf8').catch(() => null);
    if (text === null) continue;
    const parsed = JSON.parse(text) as { name?: unknown; version?: unknown };
    if (parsed.name === 'remote-ai-server-toolkit' && typeof parsed.version === 'string') {
      cached = parsed.version;
      return cached;
    }
  }
  cached = '0.0.0';
  return cached;
}
