import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootContainer, newRunId } from './container.js';
import { installTarball } from './install.js';
import { ownerTag, processStart } from '../../release/index.js';
import { FEED_DIR_PREFIX, FEED_PIPE, PipeFeed } from './pipe-feed.js';
import { dockerGate, suiteName } from './test-support/docker-gate.js';
import { buildFixtureTarball, COMMIT, removeFixtureTarballs } from './test-support/fixture-server.js';

const gate = await dockerGate();

function md5s(listing: string): Map<string, string> {
  return new Map(
    listing
      .trim()
      .split('\n')
      .map((line) => {
        const [sum, path] = line.split(/\s+/);
        return [path as string, sum as string] as const;
      }),
  );
}

/** The plain tar stream of a tarball, as the host's pass hands it to the container. */
function tarStream(tarball: string): Readable {
  return createReadStream(tarball).pipe(createGunzip());
}

describe('the named pipe on the host', () => {
  it('carries a stream to whoever reads it, then ends it; closing removes its folder', async () => {
    const pipe = await PipeFeed.make();
    expect(pipe).not.toBeNull();
    if (pipe === null) return;
    const path = pipe.bind.split(':')[0] + '/tar';
    const bytes = Buffer.alloc(3 * 1024 * 1024, 7);
    // A reader that opens the pipe after the writer, as the container's tar does.
    const reading = new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      createReadStream(path)
        .on('data', (chunk) => parts.push(chunk as Buffer))
        .on('end', () => resolve(Buffer.concat(parts)))
        .on('error', reject);
    });
    pipe.pipeFrom(Readable.from([bytes.subarray(0, 1024 * 1024), bytes.subarray(1024 * 1024)]));
    expect((await reading).equals(bytes)).toBe(true);
    await pipe.close();
    expect(existsSync(dirname(path))).toBe(false);
  });
});

describe('the named pipe’s folder', () => {
  it('names this process as its owner, and sweeps what a boot that was killed left', async () => {
    // A boot SIGKILLed mid-install runs no `finally`: its folder names an owner that is gone.
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const tag = ownerTag({ pid: child.pid as number, start: processStart(child.pid as number) });
    child.kill('SIGKILL');
    await once(child, 'exit');
    const left = join(tmpdir(), `${FEED_DIR_PREFIX}${tag}-killed`);
    mkdirSync(left);
    writeFileSync(join(left, 'tar'), '');
    const pipe = await PipeFeed.make();
    expect(pipe).not.toBeNull();
    try {
      expect(existsSync(left)).toBe(false);
      const dir = pipe?.bind.split(':')[0] ?? '';
      expect(basename(dir).startsWith(`${FEED_DIR_PREFIX}${ownerTag()}-`)).toBe(true);
      expect(existsSync(join(dir, 'tar'))).toBe(true);
    } finally {
      await pipe?.close();
    }
  });
});

describe.skipIf(!gate.run)(suiteName('the install: through the named pipe, or stdin where the pipe is not there', gate), () => {
  const { docker, client, image, node } = gate;
  const mark = `pipe-feed-${process.pid}`;
  let tarball = '';
  let expected = new Map<string, string>();
  const extracted = mkdtempSync(join(tmpdir(), 'pipe-feed-host-'));
  beforeAll(async () => {
    tarball = await buildFixtureTarball(node, ['glibc-2.2.5']);
    // What the tarball holds, as GNU tar on this machine installs it.
    execFileSync('tar', ['-xzf', tarball, '-C', extracted, '--strip-components=1']);
    expected = md5s(execFileSync('sh', ['-c', 'find . -type f | sort | xargs md5sum'], { cwd: extracted, encoding: 'utf8' }));
  });
  afterAll(async () => {
    rmSync(extracted, { recursive: true, force: true });
    await removeFixtureTarballs();
    expect(await docker.listContainers({ all: true, filters: { label: [`remote-ai.test=${mark}`] } })).toEqual([]);
  });

  it('is a local engine here: containers see this machine’s files', async () => {
    expect(await client.sharesFiles()).toBe(true);
  });

  it('ends the install when the host stopped reading before the container opened the pipe: tar reports a cut archive', async () => {
    const pipe = await PipeFeed.make();
    const box = await BootContainer.create(client, {
      image,
      runId: newRunId(),
      labels: { 'remote-ai.test': mark },
      ...(pipe === null ? {} : { binds: [pipe.bind] }),
    });
    try {
      // The host's stream failed at once (an archive that crossed a limit): the host closes its
      // end as soon as the container says it reads the pipe, and the container must see the end.
      const failed = new Readable({ read: () => undefined });
      failed.on('error', () => undefined);
      failed.destroy(new Error('the host stopped reading this archive'));
      await expect(installTarball(box, tarball, failed, undefined, pipe)).rejects.toThrow(/the container's tar could not install it/);
    } finally {
      await box[Symbol.asyncDispose]();
      await pipe?.close();
    }
  });

  for (const mounted of [true, false]) {
    it(`installs every file ${mounted ? 'through the pipe' : 'through stdin when no pipe is mounted'}`, async () => {
      const pipe = await PipeFeed.make();
      expect(pipe).not.toBeNull();
      const box = await BootContainer.create(client, {
        image,
        runId: newRunId(),
        labels: { 'remote-ai.test': mark },
        ...(mounted && pipe !== null ? { binds: [pipe.bind] } : {}),
      });
      try {
        const installed = await installTarball(box, tarball, tarStream(tarball), undefined, pipe);
        expect(installed.commit).toBe(COMMIT);
        expect(installed.via).toBe(mounted ? 'pipe' : 'stdin');
        const mount = await box.exec(['sh', '-c', `[ -p ${FEED_PIPE} ]`]);
        expect(mount.exitCode).toBe(mounted ? 0 : 1);
        // What the container's tar installed is the tarball's content, byte for byte.
        const listing = await box.exec(['sh', '-c', 'cd "$1" && find . -type f | sort | xargs md5sum', 'sh', installed.dir]);
        expect(md5s(listing.stdout)).toEqual(expected);
        expect(expected.size).toBeGreaterThan(10);
      } finally {
        await box[Symbol.asyncDispose]();
        await pipe?.close();
      }
    });
  }
});
