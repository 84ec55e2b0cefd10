import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BootContainer, newRunId } from './container.js';
import { fetchFiles, type RunScript } from './fetch-files.js';
import { dockerGate, suiteName } from './test-support/docker-gate.js';

const gate = await dockerGate();
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The script run by this machine's sh and GNU tar, as an SSH host runs it. */
const here: RunScript = async (script, args) => spawnSync('sh', ['-c', script, 'sh', ...args], { maxBuffer: 64 * 1024 * 1024 }).stdout;
/** A run that answers `output`, whatever it is asked. */
const answering = (output: Buffer): RunScript => async () => output;

describe('fetching many files in one tar', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fetch-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives each regular file by its absolute path, a symlink as what it points to, and leaves out what is missing or no file', async () => {
    writeFileSync(join(dir, 'a.so'), Buffer.alloc(70_000, 1));
    writeFileSync(join(dir, 'b.so'), 'b');
    symlinkSync('a.so', join(dir, 'link.so'));
    const files = await fetchFiles(here, [join(dir, 'a.so'), join(dir, 'link.so'), join(dir, 'missing.so'), dir, join(dir, 'b.so')], 'here');
    expect([...files.keys()].sort()).toEqual([join(dir, 'a.so'), join(dir, 'b.so'), join(dir, 'link.so')].sort());
    expect(files.get(join(dir, 'link.so'))?.equals(Buffer.alloc(70_000, 1))).toBe(true);
    expect(files.get(join(dir, 'b.so'))?.toString()).toBe('b');
  });

  it('gives nothing for no output or output that is no tar, and what was whole for a cut archive', async () => {
    expect((await fetchFiles(answering(Buffer.alloc(0)), ['/a'], 'empty')).size).toBe(0);
    expect((await fetchFiles(answering(Buffer.from('sh: tar: not found\n'.repeat(40))), ['/a'], 'garbage')).size).toBe(0);
    expect((await fetchFiles(here, [], 'none')).size).toBe(0);
    writeFileSync(join(dir, 'first'), Buffer.alloc(600, 2));
    writeFileSync(join(dir, 'second'), Buffer.alloc(5_000, 3));
    let whole: Buffer = Buffer.alloc(0);
    await fetchFiles(async (script, args) => (whole = await here(script, args)), [join(dir, 'first'), join(dir, 'second')], 'whole');
    // Cut inside the second file's body: the first is whole, the second is not there.
    const cut = await fetchFiles(answering(whole.subarray(0, 512 + 1024 + 512 + 1000)), [join(dir, 'first'), join(dir, 'second')], 'cut');
    expect([...cut.keys()]).toEqual([join(dir, 'first')]);
  });
});

describe.skipIf(!gate.run)(suiteName('reading files out of a container in one exec', gate), () => {
  const { docker, client, image } = gate;
  const mark = `fetch-files-${process.pid}`;
  afterAll(async () => {
    expect(await docker.listContainers({ all: true, filters: { label: [`remote-ai.test=${mark}`] } })).toEqual([]);
  });

  it("gives the container's libraries byte for byte, through their symlinks, and leaves out what is not there", async () => {
    await using box = await BootContainer.create(client, { image, runId: newRunId(), labels: { 'remote-ai.test': mark } });
    const listed = await box.exec(['sh', '-c', 'readlink -f /lib/x86_64-linux-gnu/libc.so.6 && sha256sum /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6']);
    const [real, libc, libm] = listed.stdout.trim().split('\n');
    // libc.so.6 is a symlink (to libc-2.31.so, through /lib -> usr/lib on a merged-/usr image).
    expect(real).toMatch(/\/libc-2\.\d+\.so$/);
    const files = await box.readFiles(['/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libm.so.6', '/no/such/lib.so', '/etc']);
    expect([...files.keys()].sort()).toEqual(['/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libm.so.6']);
    expect(sha256(files.get('/lib/x86_64-linux-gnu/libc.so.6') ?? Buffer.alloc(0))).toBe(libc?.split(/\s+/)[0]);
    expect(sha256(files.get('/lib/x86_64-linux-gnu/libm.so.6') ?? Buffer.alloc(0))).toBe(libm?.split(/\s+/)[0]);
    expect((await box.readFiles([])).size).toBe(0);
  });
});
