/**
 * Many files out of a container or a remote host in one command: `tar -ch` of their paths from
 * `/`, read back into a map. One exec (or one SSH command) for all of them: the engine's archive
 * endpoint re-executes dockerd for every file it copies out (~47 ms of CPU each, measured on
 * Docker 20.10), and a boot reads some ten libraries at the moment the server starts.
 */
import { Readable } from 'node:stream';
import { ToolError, readTar } from '../../abi-gate/index.js';

/**
 * GNU tar and busybox tar: -h stores what a symlink points to; names are relative to / (the
 * leading slash is dropped here, as tar would drop it). Only regular files (through symlinks) are
 * passed on: tar would archive a folder whole. One that is missing or unreadable is left out,
 * the others still come.
 */
const FETCH_FILES_SCRIPT = String.raw`cd / || exit 0
n=$#
for f do [ -f "$f" ] && set -- "$@" "$f"; done
shift "$n"
[ "$#" -gt 0 ] || exit 0
exec tar -chf - -- "$@" 2>/dev/null`;

/** Runs a shell script with arguments where the files are, and gives its stdout. */
export type RunScript = (script: string, args: string[]) => Promise<Buffer>;

/**
 * The regular files among `paths` (absolute), by path, through one run of the script: in a
 * container through exec, on a host over SSH. A path that is no readable file is not in the map.
 */
export async function fetchFiles(run: RunScript, paths: readonly string[], label: string): Promise<Map<string, Buffer>> {
  if (paths.length === 0) return new Map();
  return filesFromTar(await run(FETCH_FILES_SCRIPT, paths.map((p) => p.replace(/^\/+/, ''))), label);
}

const absolute = (path: string): string => `/${path.replace(/^\/+/, '')}`;

/**
 * The regular files of the script's output, by absolute path. Output that is no tar at all (no
 * tar on the other side, or it failed before writing) gives an empty map: each file asked for is
 * then simply not there.
 */
async function filesFromTar(output: Buffer, label: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  if (output.length === 0) return files;
  try {
    await readTar(Readable.from([output]), async (entry, body) => {
      // GNU tar -h stores a second path to a file it already stored (two symlinks to one
      // library) as a hard link to the first.
      const target = entry.type === 'hardlink' && entry.linkpath !== null ? files.get(absolute(entry.linkpath)) : undefined;
      if (target !== undefined) files.set(absolute(entry.path), target);
      if (entry.type !== 'file') return body.skip();
      const chunks: Buffer[] = [];
      await body.forEach((c) => chunks.push(c));
      files.set(absolute(entry.path), Buffer.concat(chunks));
    }, { label });
  } catch (error) {
    if (!(error instanceof ToolError)) throw error;
    // A cut or garbled archive: what was whole before the damage is kept.
  }
  return files;
}
