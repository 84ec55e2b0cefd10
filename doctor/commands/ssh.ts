/** `doctor ssh`: validate releases on a real dev host over the system OpenSSH client. */
import { defineCommand, formatCliError, ToolError } from '../../abi-gate/index.js';
import { renderHuman, renderJson, emitGithub, writeJunit } from '../report/index.js';
import { sshOptions } from '../ssh/options.js';
import { renderSshHuman } from '../ssh/record.js';
import { exitCodeOf } from '../verify.js';
import { reportArgs, withReportOptions } from './report-output.js';

export const sshCommand = defineCommand({
  command: 'ssh <destination> <tarball..>',
  describe: 'validate releases on a real dev host over ssh: host facts, requirements, install, launch, tunnel, native loads',
  missing: 'name the ssh destination and at least one tarball',
  builder: (argv) =>
    withReportOptions(argv)
      .positional('destination', { type: 'string', demandOption: true, describe: 'what ssh accepts: a ~/.ssh/config alias or user@host' })
      .positional('tarball', { type: 'string', array: true, demandOption: true, describe: 'release tarballs (.tar.gz)' })
      .option('ssh-config', { type: 'string', describe: 'ssh config file (ssh -F)' })
      .option('ssh-option', { type: 'string', array: true, describe: 'ssh option K=V (ssh -o), repeatable' })
      .option('policy', { type: 'string', default: 'host', describe: "requirements: 'host' checks against the host's own libraries; or an abi-gate policy name or JSON file" })
      .option('remove', { type: 'boolean', default: false, describe: 'delete the install at the end (default: keep it, as the IDE reuses it)' })
      .option('timeout', { type: 'number', default: 60, describe: 'seconds for the server to listen (and at most 30 for ssh to connect)' })
      .option('server-arg', { type: 'string', array: true, describe: 'replace the server arguments, one per flag: --server-arg=--port --server-arg=0 (default: --host 127.0.0.1 --port 0 --without-connection-token --accept-server-license-terms)' }),
  examples: [['$0 ssh dev dist/*.tar.gz', 'install, start and check the release on the host `dev` of ~/.ssh/config']],
  run: async (args, { io, signal, prefix }) => {
    const options = sshOptions(args);
    // Loaded here: the chain pulls in doctor boot's code, which other commands need not load.
    const { validateOverSsh } = await import('../ssh/chain.js');
    const report = await validateOverSsh({ ...options, signal });
    const output = reportArgs(args);
    io.stdout(output.json ? renderJson(report) : renderSshHuman(report, (r) => renderHuman(r)));
    if (output.junit !== undefined) await writeJunit(report, output.junit, 'doctor ssh');
    if (io.env.GITHUB_ACTIONS === 'true') await emitGithub(report, { write: io.stdout, summaryFile: io.env.GITHUB_STEP_SUMMARY }, 'doctor ssh');
    if (report.fault !== undefined) {
      // The record is printed; the fault that stopped it is the one error line, as for any error.
      const fault = new ToolError(report.fault.code, report.fault.message, { exitCode: 2, ...(report.fault.hint === null ? {} : { hint: report.fault.hint }) });
      io.stderr(`${formatCliError(prefix, fault, false).lines.join('\n')}\n`);
    }
    return exitCodeOf(report);
  },
});
