/**
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY for node-fetch, which has no proxy support of its own.
 * An http(s).Agent whose createConnection opens a CONNECT tunnel through the proxy and, for https,
 * starts TLS inside it: Node's Agent accepts an asynchronous createConnection through its
 * callback (lib/_http_agent.js createSocket), so no dependency such as https-proxy-agent is needed.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import createDebug from 'debug';

const debug = createDebug('remote-ai:packager:proxy');

type Env = Readonly<Record<string, string | undefined>>;

function envValue(env: Env, name: string): string | undefined {
  const value = env[name.toLowerCase()] ?? env[name.toUpperCase()];
  return value === undefined || value === '' ? undefined : value;
}

/** curl's NO_PROXY rules: `*`, exact hosts, domain suffixes (`.example.com` or `example.com`), optional `:port`. */
export function bypassesProxy(url: URL, env: Env): boolean {
  const noProxy = envValue(env, 'no_proxy');
  if (noProxy === undefined) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  for (const raw of noProxy.split(/[\s,]+/)) {
    if (raw === '') continue;
    if (raw === '*') return true;
    const match = /^(.*?)(?::(\d+))?$/.exec(raw.toLowerCase());
    const rule = (match?.[1] ?? '').replace(/^\*?\./, '');
    if (match?.[2] !== undefined && match[2] !== port) continue;
    if (host === rule || host.endsWith(`.${rule}`)) return true;
  }
  return false;
}

/** The agent to use for `url`, or undefined for a direct connection. */
export function proxyAgentFor(url: URL, env: Env): HttpAgent | undefined {
  if (bypassesProxy(url, env)) return undefined;
  const spec = url.protocol === 'https:' ? (envValue(env, 'https_proxy') ?? envValue(env, 'all_proxy')) : (envValue(env, 'http_proxy') ?? envValue(env, 'all_proxy'));
  if (spec === undefined) return undefined;
  const proxy = new URL(spec.includes('://') ? spec : `http://${spec}`);
  debug('%s through proxy %s', url.host, proxy.host);
  return url.protocol === 'https:' ? new HttpsTunnelAgent(proxy) : new HttpTunnelAgent(proxy);
}

function openTunnel(proxy: URL, host: string, port: number, callback: (error: Error | null, socket?: Socket) => void): void {
  const headers: Record<string, string> = { host: `${host}:${port}` };
  if (proxy.username !== '') {
    const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  const request = httpRequest({
    host: proxy.hostname,
    port: proxy.port === '' ? 80 : Number(proxy.port),
    method: 'CONNECT',
    path: `${host}:${port}`,
    headers,
  });
  request.once('connect', (response, socket) => {
    if (response.statusCode !== 200) {
      socket.destroy();
      callback(new Error(`proxy ${proxy.host} refused CONNECT ${host}:${port} with HTTP ${response.statusCode}`));
      return;
    }
    callback(null, socket);
  });
  request.once('error', (error) => callback(error));
  request.end();
}

type StreamCallback = (error: Error | null, stream: Duplex) => void;

function target(options: ClientRequestArgs, defaultPort: number): { host: string; port: number } {
  return { host: options.hostname ?? options.host ?? 'localhost', port: Number(options.port ?? defaultPort) };
}

/** Node's Agent accepts an error without a stream (lib/_http_agent.js oncreate); the types do not say so. */
function failed(callback: StreamCallback, error: Error): void {
  (callback as (error: Error) => void)(error);
}

/** Opens the tunnel for `options` and hands `callback` the socket, or what `wrap` makes of it. */
function connectThrough(
  proxy: URL,
  options: ClientRequestArgs,
  defaultPort: number,
  callback: StreamCallback | undefined,
  wrap: (socket: Socket, host: string) => Duplex,
): void {
  const { host, port } = target(options, defaultPort);
  openTunnel(proxy, host, port, (error, socket) => {
    if (callback === undefined) return;
    if (error !== null || socket === undefined) failed(callback, error ?? new Error('proxy tunnel failed'));
    else callback(null, wrap(socket, host));
  });
}

class HttpTunnelAgent extends HttpAgent {
  constructor(private readonly proxy: URL) {
    super({ keepAlive: false });
  }

  override createConnection(options: ClientRequestArgs, callback?: StreamCallback): undefined {
    connectThrough(this.proxy, options, 80, callback, (socket) => socket);
    return undefined;
  }
}

class HttpsTunnelAgent extends HttpsAgent {
  constructor(private readonly proxy: URL) {
    super({ keepAlive: false });
  }

  override createConnection(options: RequestOptions, callback?: StreamCallback): undefined {
    // The request's own error handling takes over the TLS socket from here.
    connectThrough(this.proxy, options, 443, callback, (socket, host) =>
      tlsConnect({ ...(options as ConnectionOptions), socket, servername: (options as ConnectionOptions).servername ?? host }),
    );
    return undefined;
  }
}
