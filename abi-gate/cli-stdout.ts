/**
 * The bins' stdout, written straight to fd 1. process.stdout would be built first (a tty stream,
 * or for a pipe a net socket, with node's stream modules: ~2 ms of a one-file scan's start-up) to
 * make what node does anyway on Linux files and pipes: a synchronous write.
 */
import { writeSync } from 'node:fs';

/**
 * A writer to `fd`. A non-blocking fd that is full (EAGAIN) hands the rest, and everything after
 * it, to `fallback` (process.stdout, which queues in order); a reader that has gone away (EPIPE:
 * `abi-gate scan … | head -1`) ends the output quietly, where process.stdout would throw.
 */
export function stdoutWriter(fd = 1, fallback: (bytes: Buffer) => void = (bytes) => void process.stdout.write(bytes)): (text: string) => void {
  let state: 'direct' | 'fallback' | 'closed' = 'direct';
  return (text) => {
    if (state === 'closed' || text === '') return;
    let bytes = Buffer.from(text, 'utf8');
    if (state === 'fallback') {
      fallback(bytes);
      return;
    }
    while (bytes.length > 0) {
      try {
        bytes = bytes.subarray(writeSync(fd, bytes));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') {
          state = 'closed';
          return;
        }
        if (code !== 'EAGAIN') throw error;
        state = 'fallback';
        fallback(bytes);
        return;
      }
    }
  };
}
