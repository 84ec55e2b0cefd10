import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli.js';
import { hostCheck } from './checks.js';
import { OpenSshClient } from './client.js';
import { sshFault } from './faults.js';
import { hostFault, parseHostFacts } from './host-facts.js';
import { redact, type HostRecord } from './record.js';
import { shCommand, shQuote } from './quote.js';

const HAVE_SSH = (() => {
  try {
    execFileSync('ssh', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const BOOTSTRAP_OUTPUT = [
  '@@arch x86_64',
  '@@kernel 5.10.0-28-amd64',
  '@@os Debian GNU/Linux 11 (bullseye)',
  '@@glibc glibc 2.31',
  '@@home /home/dev',
  '@@cache \tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6',
  '@@real /usr/lib/x86_64-linux-gnu/libc-2.31.so',
  '@@tool tar /usr/bin/tar',
  '@@tool gzip /usr/bin/gzip',
  '@@writable yes',
  '@@exec yes',
  '@@df /dev/sda1 10485760 5242880 4194304 56% /',
].join('\n');

const HOST: HostRecord = {
  destination: 'dev', user: 'u', hostname: '10.0.0.1', port: 22, arch: 'aarch64', os: 'Ubuntu 22.04', libc: 'glibc',
  glibc: '2.35', glibcxx: '3.4.30', kernel: '5.15', home: '/home/u', freeBytes: 1,
};

describe('host facts', () => {
  it('reads the bootstrap output: arch, OS, glibc, home, free space, tools, loader cache', () => {
    const facts = parseHostFacts(BOOTSTRAP_OUTPUT);
    expect(facts).toMatchObject({ arch: 'x86_64', kernel: '5.10.0-28-amd64', os: 'Debian GNU/Linux 11 (bullseye)', libc: 'glibc', glibc: '2.31', home: '/home/dev', writable: true, exec: true });
    expect(facts.freeBytes).toBe(4194304 * 1024);
    expect(facts.tools).toEqual({ tar: '/usr/bin/tar', gzip: '/usr/bin/gzip' });
    expect(facts.runtime.cache[0]).toMatchObject({ soname: 'libc.so.6', realPath: '/usr/lib/x86_64-linux-gnu/libc-2.31.so' });
    expect(hostFault(facts, 'dev', 1024)).toBeNull();
  });

  it('names the fix for each environment fault (exit 2)', () => {
    const cases: [string, string, RegExp][] = [
      [BOOTSTRAP_OUTPUT.replace('@@tool tar /usr/bin/tar\n', ''), 'HOST_NO_TAR', /no tar on the host's PATH.*\(install tar there/],
      [BOOTSTRAP_OUTPUT.replace(/@@tool gzip.*\n/, ''), 'HOST_NO_TAR', /no gzip/],
      [BOOTSTRAP_OUTPUT.replace('@@writable yes\n', ''), 'HOST_HOME_UNWRITABLE', /cannot write \/home\/dev\/\.remote-ai-server\/bin/],
      [BOOTSTRAP_OUTPUT.replace('@@exec yes\n', ''), 'HOST_NOEXEC', /cannot be executed \(a noexec mount\?\).*remount/],
      [BOOTSTRAP_OUTPUT, 'HOST_DISK_FULL', /4096\.0 MiB free in \/home\/dev, the server needs 5120\.0 MiB.*free space/],
    ];
    for (const [output, code, message] of cases) {
      const fault = hostFault(parseHostFacts(output), 'dev', 5 * 2 ** 30);
      expect(fault?.code).toBe(code);
      expect(fault?.exitCode).toBe(2);
      expect(fault?.toLine()).toMatch(message);
    }
  });

  it('refuses a host of another arch, naming both', () => {
    expect(hostCheck(HOST, 'x64', ['x86_64', 'amd64'])).toMatchObject({
      id: 'host',
      ok: false,
      message: 'u@10.0.0.1:22 is aarch64, the release is built for x64 (x86_64/amd64): validate the release of the host\'s arch',
    });
    expect(hostCheck(HOST, 'arm64', ['aarch64', 'arm64']).ok).toBe(true);
  });
});

describe('ssh faults', () => {
  it("classifies OpenSSH's own messages, each with its fix", () => {
    expect(sshFault('dev', 'tester@127.0.0.1: Permission denied (publickey).\n', 255).code).toBe('SSH_AUTH');
    expect(sshFault('dev', '@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.\n', 255).code).toBe('SSH_HOST_KEY');
    expect(sshFault('dev', 'ssh: Could not resolve hostname nowhere.invalid: Name or service not known\n', 255).code).toBe('SSH_UNREACHABLE');
    expect(sshFault('dev', '/tmp/cfg: line 3: Bad configuration option: hostnme\n', 255).code).toBe('SSH_CONFIG');
    expect(sshFault('dev', 'something new\n', 255)).toMatchObject({ code: 'SSH_FAILED', exitCode: 2, message: 'ssh dev failed: something new' });
  });

  it.skipIf(!HAVE_SSH)(`reports a closed port as unreachable through the real ssh client${HAVE_SSH ? '' : ' (skipped: no ssh client, apt-get install openssh-client)'}`, async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
      });
    });
    const client = new OpenSshClient({ options: [`Port=${port}`, 'StrictHostKeyChecking=no', 'UserKnownHostsFile=/dev/null'], connectTimeoutS: 5 });
    const target = await client.resolve('nobody@127.0.0.1');
    expect(target).toMatchObject({ user: 'nobody', hostname: '127.0.0.1', port });
    const error: unknown = await client.connect(target).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SSH_UNREACHABLE', exitCode: 2 });
    expect(String((error as Error).message)).toMatch(/Connection refused/);
  });
});

describe('quoting and secrets', () => {
  it('passes any word through sh unchanged', () => {
    const words = ["it's", '$HOME `id` $(id)', 'a\nb', '"\\"', ''];
    const out = execFileSync('sh', ['-c', shCommand('for a in "$@"; do printf "[%s]" "$a"; done', 'x', words)]).toString();
    expect(out).toBe(words.map((w) => `[${w}]`).join(''));
    expect(shQuote("a'b")).toBe(`'a'\\''b'`);
  });

  it('redacts connection tokens wherever they appear', () => {
    const record = { log: ['Web UI available at http://localhost:8000/?tkn=abcd-1234&x=1', 'args --connection-token hunter22'], other: 'value MySecretValue' };
    expect(redact(record, ['MySecretValue'])).toEqual({
      log: ['Web UI available at http://localhost:8000/?tkn=<redacted>&x=1', 'args --connection-token <redacted>'],
      other: 'value <redacted>',
    });
  });
});

describe('doctor ssh usage', () => {
  const cli = async (args: string[]) => {
    let stderr = '';
    const code = await runCli(['ssh', ...args], { stdout: () => undefined, stderr: (t) => (stderr += t), env: {} });
    return { code, stderr };
  };
  it('refuses bad arguments with one line and exit 2', async () => {
    expect(await cli(['dev', 'x.tar.gz', '--ssh-option', 'nonsense'])).toEqual({ code: 2, stderr: expect.stringMatching(/^doctor ssh: --ssh-option nonsense: not an ssh option \(write it as in ssh_config/) });
    expect(await cli(['dev', 'x.tar.gz', '--ssh-config', '/nonexistent/cfg'])).toEqual({ code: 2, stderr: expect.stringMatching(/^doctor ssh: --ssh-config \/nonexistent\/cfg: cannot read it/) });
    expect(await cli(['dev', 'x.tar.gz', '--timeout', '0'])).toEqual({ code: 2, stderr: expect.stringMatching(/--timeout 0: must be a positive number of seconds/) });
    expect(await cli(['dev'])).toMatchObject({ code: 2 });
  });
});
