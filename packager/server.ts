/** What packager needs from the server build itself: product.json and the launcher. */
import { readFile } from 'node:fs/promises';
import { ToolError } from '../abi-gate/index.js';
import { parseProductJson } from '../release/index.js';

export interface Product {
  version: string | null;
  serverApplicationName: string;
  /** The rewritten product.json when the commit had to be set, else null. */
  updated: string | null;
}

/** Reads product.json; refuses a commit other than `commit`, and sets it when missing. */
export async function readProduct(path: string, commit: string): Promise<Product> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new ToolError('PRODUCT_JSON', `${path} cannot be read (${error.code ?? error.message})`, { hint: 'fix the server build' });
  });
  const parsed = parseProductJson(text);
  if (!parsed.ok) throw new ToolError('PRODUCT_JSON', `${path} is ${parsed.error}`, { hint: 'fix the server build' });
  const { product } = parsed;
  const version = typeof product.version === 'string' ? product.version : null;
  const appName = typeof product.serverApplicationName === 'string' && /^[A-Za-z0-9._-]+$/.test(product.serverApplicationName)
    ? product.serverApplicationName
    : 'code-server-oss';
  if (product.commit !== undefined && product.commit !== commit) {
    throw new ToolError('COMMIT_MISMATCH', `${path} says commit ${String(product.commit)}, but --commit is ${commit}`, {
      hint: 'pass the commit the server was built from, or the server built from that commit',
    });
  }
  const updated = product.commit === undefined ? `${JSON.stringify({ ...product, commit }, null, 2)}\n` : null;
  return { version, serverApplicationName: appName, updated };
}

/**
 * The launcher for servers that ship none: POSIX sh, resolves its install folder through
 * symlinks like Code-OSS's bin/code-server-oss, then runs the bundled node.
 */
export function launcherScript(): string {
  return [
    '#!/usr/bin/env sh',
    '# Starts the server with the node bundled beside it.',
    'ROOT="$(dirname "$(dirname "$(readlink -f "$0")")")"',
    'exec "$ROOT/node" "$ROOT/out/server-main.js" "$@"',
    '',
  ].join('\n');
}
