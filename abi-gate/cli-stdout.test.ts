import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stdoutWriter } from './cli-stdout.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-stdout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Both ends of a named pipe, opened non-blocking (a full pipe answers EAGAIN, not a wait). */
function nonBlockingPipe(name: string): { read: number; write: number } {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const write = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  return { read, write };
}

function drain(fd: number): Buffer {
  const parts: Buffer[] = [];
  const buffer = Buffer.alloc(1 << 16);
  for (;;) {
    let n = 0;
    try {
      n = readSync(fd, buffer);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
      throw error;
    }
    if (n === 0) break;
    parts.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(parts);
}

describe('the bins’ stdout', () => {
  it('writes every byte, in order, to the fd', () => {
    const { read, write } = nonBlockingPipe('plain');
    const out = stdoutWriter(write, () => {
      throw new Error('no fallback for a pipe with room');
    });
    out('héllo ');
    out('');
    out('world\n');
    expect(drain(read).toString('utf8')).toBe('héllo world\n');
    closeSync(read);
    closeSync(write);
  });

  it('hands the rest to the fallback, in order, once a non-blocking fd is full', () => {
    const { read, write } = nonBlockingPipe('full');
    const later: Buffer[] = [];
    const out = stdoutWriter(write, (bytes) => later.push(Buffer.from(bytes)));
    const big = Buffer.alloc(3 * 65_536 + 17, 'a').toString('latin1');
    out(big);
    out('after\n');
    const direct = drain(read);
    // The pipe took what fit; the fallback got exactly the rest, then every later write.
    expect(direct.length).toBeGreaterThan(0);
    expect(direct.length).toBeLessThan(big.length);
    expect(Buffer.concat([direct, ...later]).toString('latin1')).toBe(`${big}after\n`);
    closeSync(read);
    closeSync(write);
  });

  it('stops quietly when the reader has gone (EPIPE), and still throws other errors', () => {
    const { read, write } = nonBlockingPipe('gone');
    closeSync(read);
    const out = stdoutWriter(write, () => {
      throw new Error('no fallback for a closed reader');
    });
    expect(() => out('nobody reads this\n')).not.toThrow();
    expect(() => out('nor this\n')).not.toThrow();
    closeSync(write);
    const bad = stdoutWriter(write);
    expect(() => bad('x')).toThrow(/EBADF/);
  });

  it('lets a bin whose reader went away (`abi-gate … | head -1`) end without an error: exit 0, nothing on stderr', async () => {
    const bin = join(import.meta.dirname, '..', 'dist', 'abi-gate', 'abi-gate.cjs');
    const child = spawn(process.execPath, [bin, 'scan', '--json', 'fixtures/elf'], { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the bin has started: its first write meets a pipe nobody reads.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
