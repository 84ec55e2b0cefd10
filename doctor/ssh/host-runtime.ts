/**
 * The host's runtime as abi-gate's prediction and policy check need it: doctor boot's readRuntime
 * over the bootstrap's loader cache, with the libraries it asks for fetched from the host in one
 * round trip (`tar -ch` of all of them, fetch-files.ts) instead of one per library.
 */
import type { Machine } from '../../abi-gate/index.js';
import { FETCH_FILES_SCRIPT, fetchFilesArgs, filesFromTar, readRuntime, type RuntimeFacts } from '../boot/index.js';
import type { SshConnection } from './client.js';
import type { HostFacts } from './host-facts.js';

export async function readHostRuntime(
  connection: SshConnection,
  facts: HostFacts,
  machine: Machine,
  needed: Iterable<string>,
  signal?: AbortSignal,
): Promise<RuntimeFacts> {
  const read = async (paths: string[]): Promise<Map<string, Buffer>> => {
    const result = await connection.run(FETCH_FILES_SCRIPT, fetchFilesArgs(paths), signal === undefined ? {} : { signal });
    return filesFromTar(result.stdout, `${connection.target.destination}:libraries`);
  };
  return readRuntime(read, facts.runtime, machine, needed);
}
