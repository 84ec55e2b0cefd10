/** `doctor boot`: install each tarball in a container as the IDE does and start the server. */
import { defineCommand } from '../../abi-gate/index.js';
import { bootArgs, bootReports, withBootOptions } from '../boot-cli.js';
import { emitReport, reportArgs, withReportOptions } from './report-output.js';

export const bootCommand = defineCommand({
  command: 'boot <tarball..>',
  describe: 'install each tarball in a container as the IDE does, start the server, load every native file (CentOS 7 by default)',
  missing: 'name at least one tarball',
  builder: (argv) =>
    withBootOptions(withReportOptions(argv)).positional('tarball', { type: 'string', array: true, demandOption: true, describe: 'release tarballs (.tar.gz)' }),
  examples: [['$0 boot dist/*.tar.gz --image "$(docker/test-image/build.sh)"', 'boot in the local Debian bullseye test image']],
  run: async (args, { io, signal }) => {
    const reports = await bootReports(args.tarball.map(String), bootArgs(args), signal);
    const report = { ok: reports.every((r) => r.ok), tarballs: reports };
    return emitReport(report, reportArgs(args), io, 'doctor boot');
  },
});
