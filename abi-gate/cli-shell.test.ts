import { describe, expect, it } from 'vitest';
import type { CliIo } from './cli-error.js';
import { defineCommand, packageVersion, runTool, type ToolSpec } from './cli-shell.js';
import { ToolError } from './errors.js';

// A tool of the shell's own, so each behaviour is seen apart from any real command's work.
const seen: { args: Record<string, unknown>; signal: AbortSignal; prefix: string }[] = [];

const TOY: ToolSpec = {
  name: 'toy',
  summary: 'A tool for testing the shell.',
  commands: [
    defineCommand({
      command: 'eat <food..>',
      describe: 'eat things',
      missing: 'name at least one food',
      builder: (y) =>
        y
          .positional('food', { type: 'string', array: true, demandOption: true })
          .option('json', { type: 'boolean', default: false })
          .option('spoon', { choices: ['small', 'big'] as const, default: 'small' as const })
          .option('plate', { type: 'string', demandOption: true }),
      run: async (args, context) => {
        seen.push({ args, signal: context.signal, prefix: context.prefix });
        if (args.food.includes('poison')) throw new ToolError('POLICY_VIOLATION', 'poison is not food', { hint: 'eat bread', exitCode: 1 });
        if (args.food.includes('bug')) throw new TypeError('x is undefined');
        context.io.stdout(`ate ${args.food.join(' and ')} with a ${args.spoon} spoon\n`);
        return 0;
      },
    }),
    defineCommand({
      command: 'nap',
      describe: 'sleep a while',
      builder: (y) => y,
      run: async (args, context) => {
        seen.push({ args, signal: context.signal, prefix: context.prefix });
        return 1;
      },
    }),
  ],
};

async function toy(argv: string[], env: NodeJS.ProcessEnv = {}, signal?: AbortSignal): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), env };
  const code = await runTool(TOY, argv, io, signal === undefined ? {} : { signal });
  return { code, stdout, stderr };
}

describe('the CLI shell', () => {
  it('runs a command with its typed arguments and returns its exit code', async () => {
    expect(await toy(['eat', 'bread', 'jam', '--plate', 'p', '--spoon', 'big'])).toEqual({ code: 0, stdout: 'ate bread and jam with a big spoon\n', stderr: '' });
    expect((await toy(['nap'])).code).toBe(1);
    expect(seen.at(-1)?.prefix).toBe('toy nap');
  });

  it('answers --version and -h/--help on the tool and on every command, exit 0', async () => {
    for (const argv of [['--version'], ['eat', '--version'], ['nap', '--version']]) {
      expect(await toy(argv), argv.join(' ')).toEqual({ code: 0, stdout: `${packageVersion()}\n`, stderr: '' });
    }
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ['-h', '--help']) {
      const top = await toy([flag]);
      expect(top).toMatchObject({ code: 0, stderr: '' });
      expect(top.stdout).toMatch(/^toy <command> \[options\]\n\nA tool for testing the shell\./);
      expect(top.stdout).toMatch(/toy eat <food\.\.>\s+eat things/);
      expect(top.stdout).toContain('Exit codes: 0 ok, 1 a check failed, 2 usage error or unreadable input.');
      // Help wins over what is missing: no food, no --plate.
      const eat = await toy(['eat', flag]);
      expect(eat).toMatchObject({ code: 0, stderr: '' });
      expect(eat.stdout).toMatch(/^toy eat <food\.\.>\n\neat things/);
      expect(eat.stdout).toContain('--plate');
    }
  });

  it('names what is missing, in one line prefixed by the tool and command', async () => {
    const cases: [string[], string][] = [
      [['eat', '--plate', 'p'], 'toy eat: name at least one food (see toy eat --help)\n'],
      [['eat', 'bread'], 'toy eat: missing --plate (see toy eat --help)\n'],
      [[], 'toy: name a command: eat, nap (see toy --help)\n'],
      [['drink'], 'toy: unknown command drink: name one of eat, nap (see toy --help)\n'],
      [['--loud'], 'toy: unknown option --loud (see toy --help)\n'],
      [['eat', 'x', '--plate', 'p', '--fork', '-q'], 'toy eat: unknown options --fork, -q (see toy eat --help)\n'],
      [['eat', 'x', '--plate', 'p', '--spoon', 'huge'], 'toy eat: --spoon "huge": use one of "small", "big" (see toy eat --help)\n'],
    ];
    for (const [argv, line] of cases) {
      expect(await toy(argv), argv.join(' ')).toEqual({ code: 2, stdout: '', stderr: line });
    }
  });

  it('prints a thrown ToolError as one line with its exit code, and under --json the same body every tool prints', async () => {
    expect(await toy(['eat', 'poison', '--plate', 'p'])).toEqual({ code: 1, stdout: '', stderr: 'toy eat: poison is not food (eat bread)\n' });
    const json = await toy(['eat', 'poison', '--plate', 'p', '--json']);
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('toy eat: poison is not food (eat bread)\n');
    expect(JSON.parse(json.stdout)).toEqual({ ok: false, error: { code: 'POLICY_VIOLATION', message: 'poison is not food', hint: 'eat bread', exitCode: 1, details: [] } });
    const usage = await toy(['eat', '--json', '--plate', 'p']);
    expect(JSON.parse(usage.stdout)).toEqual({
      ok: false,
      error: { code: 'USAGE', message: 'name at least one food', hint: 'see toy eat --help', exitCode: 2, details: [] },
    });
  });

  it('calls anything else a bug in the tool: exit 2, no stack unless DEBUG is set', async () => {
    const plain = await toy(['eat', 'bug', '--plate', 'p', '--json']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toBe('toy eat: internal error: x is undefined\n');
    expect(JSON.parse(plain.stdout)).toMatchObject({ ok: false, error: { code: 'INTERNAL', exitCode: 2 } });
    const debug = await toy(['eat', 'bug', '--plate', 'p'], { DEBUG: 'remote-ai:*' });
    expect(debug.stderr).toMatch(/^toy eat: internal error: x is undefined\nTypeError: x is undefined\n\s+at /);
  });

  it('hands the command the signal it was given, and a live one otherwise', async () => {
    const controller = new AbortController();
    await toy(['eat', 'bread', '--plate', 'p'], {}, controller.signal);
    expect(seen.at(-1)?.signal).toBe(controller.signal);
    await toy(['eat', 'bread', '--plate', 'p']);
    expect(seen.at(-1)?.signal.aborted).toBe(false);
  });
});
