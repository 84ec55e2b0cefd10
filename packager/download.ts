/**
 * Downloads go through this small interface so that tests hand in the real thing pointed at a
 * loopback mirror (electron/get's habit). The default uses node-fetch, loaded only when a
 * download actually happens (fetch-client.ts), with HTTPS_PROXY/HTTP_PROXY/NO_PROXY honoured
 * through proxy.ts.
 */
import type { Agent } from 'node:http';
import { Readable } from 'node:stream';
import createDebug from 'debug';
import { ToolError } from '../abi-gate/index.js';

const debug = createDebug('remote-ai:packager:download');

export interface DownloadResponse {
  body: Readable;
  /** Content-Length when the server sent one. */
  size: number | null;
}

export interface Downloader {
  /** Resolves once the server answered 200; throws ToolError (exit 2) otherwise. */
  get(url: string): Promise<DownloadResponse>;
}

export interface FetchDownloaderOptions {
  /** Proxy settings are read from here (pass process.env from the CLI). */
  env?: Readonly<Record<string, string | undefined>>;
}

export class FetchDownloader implements Downloader {
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly agents = new Map<string, Agent | undefined>();

  constructor(options: FetchDownloaderOptions = {}) {
    this.env = options.env ?? {};
  }

  async get(url: string): Promise<DownloadResponse> {
    const { fetchFollowing, proxyAgentFor } = await import('./fetch-client.js');
    const parsed = new URL(url);
    const agent = this.agentFor(parsed, proxyAgentFor);
    debug('GET %s%s', url, agent === undefined ? '' : ' (through proxy)');
    let response;
    try {
      response = await fetchFollowing(url, agent);
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));
      throw new ToolError('DOWNLOAD_UNREACHABLE', `cannot download ${url}: ${reason}`, {
        hint: 'check --node-mirror, the network and HTTPS_PROXY/NO_PROXY',
        cause: error,
      });
    }
    if (response.status !== 200 || response.body === null) {
      response.body?.resume();
      throw new ToolError('DOWNLOAD_STATUS', `cannot download ${url}: HTTP ${response.status}`, {
        hint: response.status === 404 ? 'check the node version, --arch and --node-flavor' : 'check --node-mirror',
      });
    }
    const length = response.headers.get('content-length');
    const body = response.body instanceof Readable ? response.body : Readable.from(response.body);
    return { body, size: length === null ? null : Number(length) };
  }

  private agentFor(url: URL, proxyAgentFor: typeof import('./fetch-client.js').proxyAgentFor): Agent | undefined {
    const key = `${url.protocol}//${url.host}`;
    if (!this.agents.has(key)) this.agents.set(key, proxyAgentFor(url, this.env));
    return this.agents.get(key);
  }
}
