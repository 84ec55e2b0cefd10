/** `doctor verify`: the static release gate, and with `--boot` the boot checks too. */
import { defineCommand, printCliError, ToolError } from '../../abi-gate/index.js';
import { bootArgs, verifyWithBoot, withBootOptions } from '../boot-cli.js';
import { verify } from '../verify.js';
import type { Limits, VerifyOptions } from '../verify-types.js';
import { emitReport, reportArgs, withReportOptions } from './report-output.js';

/** `4GiB`, `512M`, `1e9`, `1048576`: binary multiples, since limits are about memory and disk. */
export function parseSize(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(text.trim());
  if (match === null) {
    throw new ToolError('USAGE', `${flag} ${text}: not a size`, { hint: 'use bytes or a unit, e.g. 4GiB, 512M', exitCode: 2 });
  }
  const power = ' kmgt'.indexOf((match[2] ?? '').toLowerCase() || ' ');
  const value = Math.round(Number(match[1]) * 1024 ** power);
  if (!Number.isSafeInteger(value) || value <= 0) throw new ToolError('USAGE', `${flag} ${text}: must be a positive size`, { exitCode: 2 });
  return value;
}

/** The three size limits, checked once; an option not given keeps verify's default. */
export function limitsOf(args: { 'max-total'?: unknown; 'max-entry'?: unknown; 'max-entries'?: unknown }): Partial<Limits> {
  const limits: Partial<Limits> = {};
  if (typeof args['max-total'] === 'string') limits.maxTotal = parseSize(args['max-total'], '--max-total');
  if (typeof args['max-entry'] === 'string') limits.maxEntry = parseSize(args['max-entry'], '--max-entry');
  const n = args['max-entries'];
  if (n !== undefined) {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) {
      throw new ToolError('USAGE', `--max-entries ${String(n)}: must be a positive integer`, { exitCode: 2 });
    }
    limits.maxEntries = n;
  }
  return limits;
}

export const verifyCommand = defineCommand({
  command: 'verify <tarball..>',
  describe: 'static release gate: integrity, manifest, layout, paths, platform, glibc, node ABI, limits',
  missing: 'name at least one tarball',
  builder: (argv) =>
    withBootOptions(withReportOptions(argv))
      .positional('tarball', { type: 'string', array: true, demandOption: true, describe: 'release tarballs (.tar.gz)' })
      .option('boot', { type: 'boolean', default: false, describe: 'also boot each tarball in a container (doctor boot) and add its checks' })
      .option('manifest', { type: 'string', describe: 'manifest to check against (default: <tarball minus .tar.gz>.manifest.json)' })
      .option('policy', { type: 'string', default: 'centos7', describe: "abi-gate policy name or JSON file; 'none' skips the glibc check" })
      .option('allow-empty', { type: 'boolean', default: false, describe: 'let the glibc check pass a release with no ELF file (default: nothing to check fails)' })
      .option('max-total', { type: 'string', describe: 'most uncompressed bytes in all (default 4GiB)' })
      .option('max-entry', { type: 'string', describe: 'most bytes in one entry (default 1GiB)' })
      .option('max-entries', { type: 'number', describe: 'most entries (default 200000)' }),
  examples: [
    ['$0 verify dist/*.tar.gz', 'every static check, against the CentOS 7 policy'],
    ['$0 verify dist/*.tar.gz --boot --image "$(docker/test-image/build.sh)"', 'and boot it in a container'],
  ],
  run: async (args, { io, signal }) => {
    const options: VerifyOptions = { limits: limitsOf(args), policy: String(args.policy), allowEmpty: args['allow-empty'] };
    if (typeof args.manifest === 'string') options.manifest = args.manifest;
    // Checked before any tarball is read: a bad --image is a usage error, not a failed boot.
    const boot = args.boot ? bootArgs(args) : null;
    const tarballs = args.tarball.map(String);
    if (boot === null) return emitReport(await verify(tarballs, options), reportArgs(args), io);
    // One read of each tarball feeds the static checks and the boot.
    const { report, setupError } = await verifyWithBoot(tarballs, options, boot, signal);
    const code = await emitReport(report, reportArgs(args), io);
    // The static results stand (also as the one --json document); the boot could not run (no
    // engine, no image): one stderr line names the fix, exit 2.
    return setupError === null ? code : printCliError('doctor verify', setupError, io);
  },
});
