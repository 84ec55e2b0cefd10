/**
 * The host's runtime as abi-gate's prediction and policy check need it: doctor boot's readRuntime
 * over the bootstrap's loader cache, with the libraries it asks for fetched from the host in one
 * round trip (`tar -ch` of all of them) instead of one per library.
 */
import { ToolError, readTar, type Machine } from '../../abi-gate/index.js';
import { readRuntime, type RuntimeFacts } from '../boot/index.js';
import type { SshConnection } from './client.js';
import type { HostFacts } from './host-facts.js';

/** GNU tar: -h stores what a symlink points to; names are relative to / (tar drops the slash). */
const FETCH_SCRIPT = String.raw`cd / && exec tar -chf - "$@" 2>/dev/null; exit 0`;

export async function readHostRuntime(
  connection: SshConnection,
  facts: HostFacts,
  machine: Machine,
  needed: Iterable<string>,
  signal?: AbortSignal,
): Promise<RuntimeFacts> {
  // readRuntime asks for every library in one synchronous sweep: collect the sweep, fetch once.
  const asked = new Map<string, ((bytes: Buffer | null) => void)[]>();
  let fetching: Promise<void> | null = null;
  const fetchAll = async (): Promise<void> => {
    await Promise.resolve();
    const paths = [...asked.keys()];
    const got = new Map<string, Buffer>();
    try {
      const result = await connection.run(FETCH_SCRIPT, paths.map((p) => p.replace(/^\/+/, '')), signal === undefined ? {} : { signal });
      const { Readable } = await import('node:stream');
      await readTar(Readable.from([result.stdout]), async (entry, body) => {
        if (entry.type !== 'file') return body.skip();
        const chunks: Buffer[] = [];
        await body.forEach((c) => chunks.push(c));
        got.set(`/${entry.path.replace(/^\/+/, '')}`, Buffer.concat(chunks));
      }, { label: `${connection.target.destination}:libraries` });
    } catch (error) {
      if (error instanceof ToolError) throw error;
      // An unreadable library is a runtime without its definitions: the prediction says so.
    }
    for (const [path, waiting] of asked) for (const resolve of waiting) resolve(got.get(path) ?? null);
  };
  const read = (path: string): Promise<Buffer | null> =>
    new Promise((resolve, reject) => {
      asked.set(path, [...(asked.get(path) ?? []), resolve]);
      fetching ??= fetchAll();
      fetching.catch(reject);
    });
  return readRuntime(read, facts.runtime, machine, needed);
}
