/**
 * dockerode without the start-up cost of what it loads for features a boot never uses: as they
 * load, docker-modem requires ssh2 (for ssh:// engines) and dockerode requires @grpc/grpc-js and
 * @grpc/proto-loader (for BuildKit sessions), some 60 ms of every boot's start. While dockerode
 * loads, those three resolve to stand-ins that load the real module on first use, so an ssh://
 * engine or a session still works, just not for free.
 */
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type DockerodeClass from 'dockerode';

const require = createRequire(import.meta.url);

/** docker-modem only ever reads `require('ssh2').Client` and calls `new Client()`. */
function ssh2StandIn(real: () => { Client: new (...args: unknown[]) => object }): unknown {
  return {
    Client: function Client(...args: unknown[]): object {
      return new (real().Client)(...args);
    },
  };
}

/** dockerode's session code only reads properties of the gRPC modules, inside its functions. */
function namespaceStandIn(real: () => Record<PropertyKey, unknown>): unknown {
  return new Proxy({}, { get: (_target, key) => real()[key], has: (_target, key) => key in real() });
}

/** Which module resolves from which package, and its stand-in. */
const DEFERRED: { name: string; from: string; standIn: (real: () => never) => unknown }[] = [
  { name: 'ssh2', from: 'docker-modem', standIn: ssh2StandIn },
  { name: '@grpc/grpc-js', from: 'dockerode', standIn: namespaceStandIn },
  { name: '@grpc/proto-loader', from: 'dockerode', standIn: namespaceStandIn },
];

let loaded: typeof DockerodeClass | null = null;

export function loadDockerode(): typeof DockerodeClass {
  if (loaded !== null) return loaded;
  const seeded: string[] = [];
  for (const { name, from, standIn } of DEFERRED) {
    let path: string;
    try {
      path = createRequire(require.resolve(from)).resolve(name);
    } catch {
      continue;
    }
    // Already loaded by someone else: nothing to save.
    if (require.cache[path] !== undefined) continue;
    let real: unknown = null;
    const stub = new Module(path);
    stub.filename = path;
    stub.loaded = true;
    stub.exports = standIn((() => (real ??= require(path))) as () => never);
    require.cache[path] = stub;
    seeded.push(path);
  }
  try {
    loaded = require('dockerode') as typeof DockerodeClass;
  } finally {
    // Only dockerode's own modules hold the stand-ins; a later require gets the real module.
    for (const path of seeded) delete require.cache[path];
  }
  return loaded;
}
