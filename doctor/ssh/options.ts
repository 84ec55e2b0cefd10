/** `doctor ssh`'s raw arguments, checked once at the edge and turned into the library's options. */
import { accessSync, constants } from 'node:fs';
import { ToolError } from '../../abi-gate/index.js';
import type { SshValidateOptions } from './chain.js';

/** `K=V` or `K V`, as ssh_config(5) writes an option; ssh itself judges the key. */
const SSH_OPTION = /^[A-Za-z][A-Za-z0-9]*(=| +)\S/;

export interface RawSshArgs {
  destination?: unknown;
  tarball?: unknown;
  'ssh-config'?: unknown;
  'ssh-option'?: unknown;
  policy?: unknown;
  remove?: unknown;
  timeout?: unknown;
  'server-arg'?: unknown;
}

const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]);

export function sshOptions(args: RawSshArgs): SshValidateOptions {
  const usage = (message: string, hint?: string): ToolError => new ToolError('USAGE', message, { exitCode: 2, ...(hint === undefined ? {} : { hint }) });
  const destination = String(args.destination ?? '');
  if (destination === '' || destination.startsWith('-')) throw usage(`destination '${destination}': not an ssh destination`, 'give a ~/.ssh/config alias or user@host');
  const timeout = args.timeout;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) throw usage(`--timeout ${String(timeout)}: must be a positive number of seconds`);
  const options = list(args['ssh-option']);
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
  const tarballs = list(args.tarball);
  if (tarballs.length === 0) throw usage('name at least one tarball');
  return {
    destination,
    tarballs,
    ssh: { options, connectTimeoutS: Math.min(timeout, 30), ...(typeof config === 'string' ? { configFile: config } : {}) },
    policy: typeof args.policy === 'string' ? args.policy : 'host',
    remove: args.remove === true,
    launchTimeoutMs: timeout * 1000,
    ...(args['server-arg'] === undefined ? {} : { serverArgs: list(args['server-arg']) }),
  };
}
