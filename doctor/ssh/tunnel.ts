/**
 * tunnel: what the IDE does once the server listens: a local port forwarded over the same
 * connection, and HTTP from this machine through it. `GET /version` must answer the release's
 * commit and `GET /` must answer 200 (the server runs without a connection token).
 */
import { request } from 'node:http';
import type { CheckResult } from '../report-types.js';
import type { Forward, SshConnection } from './client.js';

export type HttpAnswer = { ok: true; status: number; body: string } | { ok: false; error: string };

/** 127.0.0.1, not localhost: localhost may resolve to ::1, where the forward does not listen. */
export function httpGet(port: number, path: string, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 4096) body += d;
      });
      res.on('end', () => resolve({ ok: true, status: res.statusCode ?? 0, body }));
      res.on('error', (error) => resolve({ ok: false, error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (error) => resolve({ ok: false, error: error.message }));
    req.end();
  });
}

export interface TunnelProbe {
  localPort: number;
  version: HttpAnswer;
  root: HttpAnswer;
}

export async function probeThroughTunnel(connection: SshConnection, remotePort: number, timeoutMs: number): Promise<{ forward: Forward; probe: TunnelProbe }> {
  const forward = await connection.forward(remotePort);
  const [version, root] = await Promise.all([httpGet(forward.localPort, '/version', timeoutMs), httpGet(forward.localPort, '/', timeoutMs)]);
  return { forward, probe: { localPort: forward.localPort, version, root } };
}

export function tunnelCheck(probe: TunnelProbe, remotePort: number, commit: string | null): CheckResult {
  const via = `127.0.0.1:${probe.localPort} -> host 127.0.0.1:${remotePort}`;
  const { version, root } = probe;
  if (!version.ok) return { id: 'tunnel', ok: false, message: `GET /version through ${via} failed: ${version.error}` };
  if (version.status !== 200) return { id: 'tunnel', ok: false, message: `GET /version through ${via} answered HTTP ${version.status}: ${version.body.slice(0, 200)}` };
  const body = version.body.trim();
  if (commit !== null && body !== commit) {
    return { id: 'tunnel', ok: false, message: `GET /version through ${via} answered "${body.slice(0, 80)}", not the release's commit ${commit}` };
  }
  if (!root.ok) return { id: 'tunnel', ok: false, message: `GET /version answered ${body} through ${via}, but GET / failed: ${root.error}` };
  if (root.status !== 200) return { id: 'tunnel', ok: false, message: `GET /version answered ${body} through ${via}, but GET / answered HTTP ${root.status}` };
  return { id: 'tunnel', ok: true, message: `through ${via}: GET /version answered ${commit === null ? `${body} (no commit to compare)` : body}, GET / answered 200` };
}
