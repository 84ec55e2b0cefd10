// `npm run bench`: every performance target of the toolkit, each measured side by side with its
// baseline in the same run. Prints a block per benchmark as it finishes, then a table, and writes
// bench/.work/last-results.json. Exit 0 when no target failed, 1 when one did, 2 on a usage error.
//
//   node bench/run.mjs [--quick] [--only abi-gate,packager,doctor,boot,ssh]
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bigBinary, startup, tarball } from './cases/abi-gate.mjs';
import { boot } from './cases/boot.mjs';
import { verify } from './cases/doctor.mjs';
import { build } from './cases/packager.mjs';
import { ssh } from './cases/ssh.mjs';
import { haveGnuTime } from './lib/measure.mjs';
import { WORK } from './lib/inputs.mjs';
import { broken, formatRow, formatTable } from './lib/report.mjs';

const GROUPS = {
  'abi-gate': [
    ['abi-gate startup', startup],
    ['abi-gate whole tarball', tarball],
    ['abi-gate node binary', bigBinary],
  ],
  packager: [['packager build', build]],
  doctor: [['doctor verify', verify]],
  boot: [['doctor boot overhead', boot]],
  ssh: [['doctor ssh over loopback', ssh]],
};

function usage(message) {
  process.stderr.write(`${message}\nusage: node bench/run.mjs [--quick] [--only ${Object.keys(GROUPS).join(',')}]\n`);
  process.exit(2);
}

let options;
try {
  options = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } }).values;
} catch (error) {
  usage(error.message);
}
const only = options.only === undefined ? Object.keys(GROUPS) : options.only.split(',').map((s) => s.trim());
for (const name of only) if (!(name in GROUPS)) usage(`--only: unknown benchmark group '${name}'`);

const started = Date.now();
const log = (message) => process.stderr.write(`  .. ${message}\n`);
const ctx = { quick: options.quick, log };
if (!haveGnuTime()) log('/usr/bin/time missing (apt-get install time): peak RSS will show as -');

console.log(`remote-ai toolkit benchmark${options.quick ? ' (--quick)' : ''}: node ${process.version}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
const rows = [];
for (const group of only) {
  for (const [name, run] of GROUPS[group]) {
    console.log(`\n== ${name}`);
    let result;
    try {
      result = await run(ctx);
    } catch (error) {
      result = broken(group, name, error instanceof Error ? error.message : String(error));
    }
    for (const row of [result].flat()) {
      rows.push(row);
      console.log(formatRow(row));
    }
  }
}

const seconds = (Date.now() - started) / 1000;
console.log(`\n${formatTable(rows)}\n\ntotal bench time: ${seconds.toFixed(0)} s`);
mkdirSync(WORK, { recursive: true });
const resultsPath = join(WORK, 'last-results.json');
writeFileSync(
  resultsPath,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: cpus().length, quick: options.quick, seconds, rows }, null, 2)}\n`,
);
console.log(`results: ${resultsPath}`);
process.exitCode = rows.some((r) => r.status === 'FAIL' || r.status === 'ERROR') ? 1 : 0;
