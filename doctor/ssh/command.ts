/**
 * The `doctor ssh` command: checks its arguments once, owns SIGINT/SIGTERM (the library gets an
 * AbortSignal and tears down; the signal is re-raised once it has), prints the record.
 */
import { accessSync, constants } from 'node:fs';
import type { Argv } from 'yargs';
import { ToolError } from '../../abi-gate/index.js';
import type { CliIo } from '../../abi-gate/cli-error.js';
import { register, type Register } from '../cli-command.js';
import { emitGithub, renderHuman, renderJson, writeJunit } from '../report/index.js';
import { exitCodeOf } from '../verify.js';
import type { SshValidateOptions } from './chain.js';
import { renderSshHuman } from './record.js';

type Exit = (code: 0 | 1 | 2) => void;

/** `K=V` or `K V`, as ssh_config(5) writes an option; ssh itself judges the key. */
const SSH_OPTION = /^[A-Za-z][A-Za-z0-9]*(=| +)\S/;

export interface RawSshArgs {
  destination: string;
  tarball: (string | number)[];
  'ssh-config'?: unknown;
  'ssh-option'?: unknown;
  policy?: unknown;
  remove?: unknown;
  timeout?: unknown;
  'server-arg'?: unknown;
}

export function sshOptions(args: RawSshArgs): SshValidateOptions {
  const usage = (message: string, hint?: string): ToolError => new ToolError('USAGE', message, { exitCode: 2, ...(hint === undefined ? {} : { hint }) });
  const destination = String(args.destination);
  if (destination === '' || destination.startsWith('-')) throw usage(`destination '${destination}': not an ssh destination`, 'give a ~/.ssh/config alias or user@host');
  const timeout = args.timeout;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) throw usage(`--timeout ${String(timeout)}: must be a positive number of seconds`);
  const options = (Array.isArray(args['ssh-option']) ? args['ssh-option'] : args['ssh-option'] === undefined ? [] : [args['ssh-option']]).map(String);
  for (const option of options) {
    if (!SSH_OPTION.test(option)) throw usage(`--ssh-option ${option}: not an ssh option`, 'write it as in ssh_config, e.g. --ssh-option IdentityFile=~/.ssh/dev_ed25519');
  }
  const config = args['ssh-config'];
  if (config !== undefined) {
    if (typeof config !== 'string' || config === '') throw usage('--ssh-config needs a file');
    try {
      accessSync(config, constants.R_OK);
    } catch {
      throw usage(`--ssh-config ${config}: cannot read it`, 'pass an existing ssh config file');
    }
  }
  const serverArgs = args['server-arg'];
  return {
    destination,
    tarballs: args.tarball.map(String),
    ssh: { options, connectTimeoutS: Math.min(timeout, 30), ...(typeof config === 'string' ? { configFile: config } : {}) },
    policy: typeof args.policy === 'string' ? args.policy : 'host',
    remove: args.remove === true,
    launchTimeoutMs: timeout * 1000,
    ...(Array.isArray(serverArgs) ? { serverArgs: serverArgs.map(String) } : {}),
  };
}

export function sshCommand(io: CliIo, exit: Exit, withReport: <T>(argv: Argv<T>) => Argv<T & { json: boolean; junit: string | undefined }>): Register {
  return register({
    command: 'ssh <destination> <tarball..>',
    describe: 'validate releases on a real dev host over ssh: host facts, requirements, install, launch, tunnel, native loads',
    builder: (argv) =>
      withReport(argv)
        .positional('destination', { type: 'string', demandOption: true, describe: 'what ssh accepts: a ~/.ssh/config alias or user@host' })
        .positional('tarball', { type: 'string', array: true, demandOption: true, describe: 'release tarballs (.tar.gz)' })
        .option('ssh-config', { type: 'string', describe: 'ssh config file (ssh -F)' })
        .option('ssh-option', { type: 'string', array: true, describe: 'ssh option K=V (ssh -o), repeatable' })
        .option('policy', { type: 'string', default: 'host', describe: "requirements: 'host' checks against the host's own libraries; or an abi-gate policy name or JSON file" })
        .option('remove', { type: 'boolean', default: false, describe: 'delete the install at the end (default: keep it, as the IDE reuses it)' })
        .option('timeout', { type: 'number', default: 60, describe: 'seconds for the server to listen (and at most 30 for ssh to connect)' })
        .option('server-arg', { type: 'string', array: true, describe: 'replace the server arguments (default: --host 127.0.0.1 --port 0 --without-connection-token --accept-server-license-terms)' }),
    handler: async (args) => {
      const options = sshOptions(args);
      const controller = new AbortController();
      let caught: NodeJS.Signals | null = null;
      const onSignal = (signal: NodeJS.Signals): void => {
        caught ??= signal;
        controller.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let report;
      try {
        // Loaded here: the chain pulls in doctor boot's code, which other commands need not load.
        const { validateOverSsh } = await import('./chain.js');
        report = await validateOverSsh({ ...options, signal: controller.signal });
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
      if (caught !== null) {
        // Torn down: end the way the signal asked (128 + n), as the process would have without us.
        process.kill(process.pid, caught);
        await new Promise<never>(() => undefined);
      }
      io.stdout(args.json ? renderJson(report) : renderSshHuman(report, (r) => renderHuman(r)));
      const junit = typeof args.junit === 'string' ? args.junit : undefined;
      if (junit !== undefined) await writeJunit(report, junit, 'doctor ssh');
      if (io.env.GITHUB_ACTIONS === 'true') await emitGithub(report, { write: io.stdout, summaryFile: io.env.GITHUB_STEP_SUMMARY }, 'doctor ssh');
      if (report.fault !== undefined) {
        io.stderr(`doctor: ${report.fault.message}${report.fault.hint === null ? '' : ` (${report.fault.hint})`}\n`);
      }
      exit(exitCodeOf(report));
    },
  });
}
