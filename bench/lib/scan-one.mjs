// Child process for the single-binary benchmark: imports the compiled abi-gate library, scans one
// file `reps` times after a warm-up, and prints {bytesRead, size, medianMs, requires} as JSON.
// A separate process so its peak RSS is the scanner's alone.
// Usage: node scan-one.mjs <dist/abi-gate/index.js> <file> <reps>
import { pathToFileURL } from 'node:url';

const [indexPath, file, repsArg] = process.argv.slice(2);
const lib = await import(pathToFileURL(indexPath).href);
if (typeof lib.scanFile !== 'function') {
  process.stderr.write(`${indexPath} exports no scanFile(path)\n`);
  process.exit(2);
}
const reps = Number(repsArg ?? '5');
let last = await lib.scanFile(file);
const times = [];
for (let i = 0; i < reps; i++) {
  const start = performance.now();
  last = await lib.scanFile(file);
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
const mid = times.length >> 1;
const medianMs = times.length % 2 === 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
process.stdout.write(
  `${JSON.stringify({ bytesRead: last.bytesRead, size: last.size, medianMs, samplesMs: times, requires: last.requires ?? null })}\n`,
);
