import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABI_GATE, runTool, type CliIo, type ToolSpec } from '../abi-gate/index.js';
import { DOCTOR } from '../doctor/index.js';
import { PACKAGER } from '../packager/index.js';

// What every one of the three CLIs promises a user, checked on all of them at once, so that a
// command added later gets the same help, version, errors and --json error body.
const ROOT = join(import.meta.dirname, '..');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
const TOOLS: ToolSpec[] = [ABI_GATE, PACKAGER, DOCTOR];

async function run(tool: ToolSpec, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env: {} };
  const code = await runTool(tool, argv, io);
  return { code, stdout, stderr };
}

describe.each(TOOLS.map((t) => [t.name, t] as const))('%s', (name, tool) => {
  it('answers --version, -h and --help on the tool and on each command with exit 0', async () => {
    for (const command of [[], ...tool.commands.map((c) => [c.name])]) {
      expect(await run(tool, [...command, '--version']), [...command, '--version'].join(' ')).toEqual({ code: 0, stdout: `${PACKAGE.version}\n`, stderr: '' });
      for (const flag of ['-h', '--help']) {
        const help = await run(tool, [...command, flag]);
        expect(help.code, [...command, flag].join(' ')).toBe(0);
        expect(help.stderr).toBe('');
        expect(help.stdout.startsWith(`${name} ${command[0] ?? '<command>'}`)).toBe(true);
      }
    }
  });

  it('prints a usage error as one line naming the command, and under --json the shared error body', async () => {
    for (const command of tool.commands) {
      // Positionals given where a command needs them: the unknown option is the only error.
      const args = command.missing === undefined ? [] : ['x', 'y'];
      const plain = await run(tool, [command.name, ...args, '--bogus-flag']);
      expect(plain).toEqual({ code: 2, stdout: '', stderr: `${name} ${command.name}: unknown option --bogus-flag (see ${name} ${command.name} --help)\n` });
      const json = await run(tool, [command.name, ...args, '--bogus-flag', '--json']);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toEqual({
        ok: false,
        error: { code: 'USAGE', message: 'unknown option --bogus-flag', hint: `see ${name} ${command.name} --help`, exitCode: 2, details: [] },
      });
    }
    const none = await run(tool, []);
    expect(none).toEqual({ code: 2, stdout: '', stderr: `${name}: name a command: ${tool.commands.map((c) => c.name).join(', ')} (see ${name} --help)\n` });
  });
});

describe('missing positionals', () => {
  it('name what is missing', async () => {
    const cases: [ToolSpec, string[], string][] = [
      [DOCTOR, ['verify'], 'doctor verify: name at least one tarball'],
      [DOCTOR, ['verify', '--boot', '--json'], 'doctor verify: name at least one tarball'],
      [DOCTOR, ['boot'], 'doctor boot: name at least one tarball'],
      [DOCTOR, ['diff', 'old.tar.gz'], 'doctor diff: name two releases, the old then the new (tarballs or manifests)'],
      [ABI_GATE, ['scan'], 'abi-gate scan: name at least one file, folder or tarball'],
      [ABI_GATE, ['check', '--policy', 'centos7'], 'abi-gate check: name at least one file, folder or tarball'],
      [ABI_GATE, ['check', 'x.node'], 'abi-gate check: missing --policy'],
      [PACKAGER, ['build', '--server', 'x'], 'packager build: missing --commit'],
    ];
    for (const [tool, argv, line] of cases) {
      const result = await run(tool, argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr.split(' (see ')[0]).toBe(line);
    }
  });
});

describe('the library errors every tool prints the same way', () => {
  it('one stderr line and the same --json body for an unreadable input', async () => {
    const cases: [ToolSpec, string[], string][] = [
      [ABI_GATE, ['scan', 'no/such.node', '--json'], 'abi-gate scan: no/such.node: '],
      [DOCTOR, ['diff', 'no/old.tar.gz', 'no/new.tar.gz', '--json'], 'doctor diff: '],
      [PACKAGER, ['build', '--server', 'no/such/server', '--commit', 'a'.repeat(40), '--json'], 'packager build: '],
    ];
    for (const [tool, argv, prefix] of cases) {
      const result = await run(tool, argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr.startsWith(prefix), result.stderr).toBe(true);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      const body = JSON.parse(result.stdout) as { ok: boolean; error: Record<string, unknown> };
      expect(body.ok).toBe(false);
      expect(Object.keys(body.error)).toEqual(['code', 'message', 'hint', 'exitCode', 'details']);
      expect(result.stderr).toContain(String(body.error.message));
    }
  });
});

describe.skipIf(!existsSync(join(ROOT, 'dist')) && process.env['CI'] !== 'true')('the built bins (skipped when not built: run `npm run build`)', () => {
  it.each(Object.entries(PACKAGE.bin))('%s --version, -h and a missing positional as a real process', (bin, path) => {
    const exec = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, path), ...args], { encoding: 'utf8' });
    const version = exec('--version');
    expect([version.status, version.stdout, version.stderr]).toEqual([0, `${PACKAGE.version}\n`, '']);
    const help = exec('-h');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^${bin} <command> \\[options\\]`));
    const none = exec();
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(new RegExp(`^${bin}: name a command: `));
  });
});

describe('the CLI files', () => {
  it('give each doctor command a file of its own in doctor/commands/', () => {
    for (const command of DOCTOR.commands) expect(existsSync(join(ROOT, 'doctor', 'commands', `${command.name}.ts`)), command.name).toBe(true);
  });
});
