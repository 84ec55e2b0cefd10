/**
 * What a download runs on, loaded by download.ts with the first download: node-fetch and the proxy
 * agents of proxy.ts (http, https and tls, a few ms of start-up). Most builds download nothing (the
 * node is local or cached). In the bundled packager this also keeps node-fetch's `import()` (it is
 * ESM only) out of the code loaded with a V8 code cache, where Node 20 cannot run an `import()`
 * (scripts/bundle-bins.mjs).
 */
import type { Agent } from 'node:http';
import type { Response } from 'node-fetch';

export { proxyAgentFor } from './proxy.js';

/** GET `url`, following redirects, through `agent` when one is given. */
export async function fetchFollowing(url: string, agent: Agent | undefined): Promise<Response> {
  const { default: fetch } = await import('node-fetch');
  return fetch(url, { agent, redirect: 'follow' });
}
