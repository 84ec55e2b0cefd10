/**
 * What went wrong with the connection, from OpenSSH's own words on stderr (ssh exits 255 for its
 * own errors, ssh.1): one ToolError per cause, each naming the fix. All are environment problems
 * (exit 2): the release was never judged.
 */
import { ToolError, type ToolErrorCode } from '../../abi-gate/index.js';

export type SshFaultCode = Extract<ToolErrorCode, 'SSH_AUTH' | 'SSH_HOST_KEY' | 'SSH_UNREACHABLE' | 'SSH_CONFIG' | 'SSH_FAILED'>;

interface Rule {
  code: SshFaultCode;
  match: RegExp;
  what: string;
  hint: string;
}

const RULES: readonly Rule[] = [
  {
    code: 'SSH_HOST_KEY',
    match: /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|No \S+ host key is known|host key for .* has changed/i,
    what: 'the host key is unknown or does not match known_hosts',
    hint: 'connect once with plain ssh to check and accept the key, or after a reinstall remove the old one with ssh-keygen -R <host>',
  },
  {
    code: 'SSH_AUTH',
    match: /Permission denied \(|Too many authentication failures|no mutual signature algorithm/,
    what: 'the host refused the login',
    hint: 'doctor ssh never prompts (BatchMode=yes): load the key into ssh-agent, set IdentityFile for this host in ~/.ssh/config, or pass --ssh-option IdentityFile=<key>',
  },
  {
    code: 'SSH_UNREACHABLE',
    match: /Could not resolve hostname|Connection refused|Connection timed out|timed out during banner exchange|No route to host|Network is unreachable|Connection reset|Connection closed by|kex_exchange_identification|Name or service not known/i,
    what: 'cannot reach the host',
    hint: 'check the host name and port (ssh -G <destination> shows what ssh uses), that sshd runs there, and any ProxyJump in ~/.ssh/config',
  },
  {
    code: 'SSH_CONFIG',
    match: /Bad configuration option|bad option|Unsupported option|Can't open user config file|line \d+: |garbage at end of line|unknown configuration option/i,
    what: 'ssh cannot read its configuration',
    hint: 'fix the named line of the ssh config, or the --ssh-config/--ssh-option value',
  },
];

/** The last meaningful line ssh printed (it prefixes warnings it also prints for success). */
export function lastLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('Warning: Permanently added'));
  return lines.at(-1) ?? '';
}

/** Turns a failed ssh invocation into the one error that names its fix. */
export function sshFault(destination: string, stderr: string, exitCode: number | null): ToolError {
  const said = lastLine(stderr) || `ssh exited with ${exitCode ?? 'a signal'} and said nothing`;
  for (const rule of RULES) {
    if (rule.match.test(stderr)) {
      return new ToolError(rule.code, `ssh ${destination}: ${rule.what}: ${said}`, { hint: rule.hint, exitCode: 2 });
    }
  }
  return new ToolError('SSH_FAILED', `ssh ${destination} failed: ${said}`, {
    hint: 'run ssh -v with the same destination to see why',
    exitCode: 2,
  });
}
