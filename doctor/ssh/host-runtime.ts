/**
 * The host's runtime as abi-gate's prediction and policy check need it: doctor boot's readRuntime
 * over the bootstrap's loader cache, with the libraries it asks for fetched from the host in one
 * round trip (`tar -ch` of all of them, fetch-files.ts) instead of one per library.
 */
import type { Machine } from '../../abi-gate/index.js';
import { fetchFiles, readRuntime, type RuntimeFacts } from '../boot/index.js';
import type { SshConnection } from './client.js';
import type { HostFacts } from './host-facts.js';

export async function readHostRuntime(
  connection: SshConnection,
  facts: HostFacts,
  machine: Machine,
  needed: Iterable<string>,
  signal?: AbortSignal,
): Promise<RuntimeFacts> {
  const run = async (script: string, args: string[]): Promise<Buffer> => (await connection.run(script, args, signal === undefined ? {} : { signal })).stdout;
  return readRuntime((paths) => fetchFiles(run, paths, `${connection.target.destination}:libraries`), facts.runtime, machine, needed);
}
