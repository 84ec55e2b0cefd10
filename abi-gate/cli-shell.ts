/**
 * The one CLI shell of the three tools (abi-gate, packager, doctor). A tool is a list of commands,
 * each declared once with `defineCommand` (its yargs options and a `run` that returns the exit
 * code); the shell gives every tool and command the same `-h`/`--help` and `--version`, the same
 * usage errors (naming what is missing), the same stderr line and `--json` error body for
 * anything thrown, and the AbortSignal of SIGINT/SIGTERM. Only the shell prints errors; only the
 * bin entry (`runBin`) touches `process`.
 *
 * yargs parses and renders help only: commands run here, not inside yargs, so that every error
 * takes the same road and no handler runs while yargs still holds the parse.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// Types only: yargs loads when a CLI parses, not when a library imports abi-gate's index.
import type { ArgumentsCamelCase, Argv } from 'yargs';
import { printCliError, type CliIo } from './cli-error.js';
import { trapSignals, type SignalTarget } from './cli-signals.js';
import { stdoutWriter } from './cli-stdout.js';
import { ToolError } from './errors.js';

export type { CliIo } from './cli-error.js';

/** What a running command gets besides its arguments. */
export interface CommandContext {
  io: CliIo;
  /** Aborts on SIGINT/SIGTERM: hand it to the library, which cleans up and settles. */
  signal: AbortSignal;
  /** `doctor verify`: the prefix of the command's error lines. */
  prefix: string;
}

export type ExitStatus = 0 | 1 | 2;

export interface CommandSpec<A> {
  /** The yargs command string: `verify <tarball..>`; the first word is the command's name. */
  command: string;
  describe: string;
  /**
   * What a missing positional means, as the user reads it: `name at least one tarball`. Printed
   * as `doctor verify: name at least one tarball`.
   */
  missing?: string;
  builder(argv: Argv): Argv<A>;
  examples?: readonly (readonly [string, string])[];
  /** Returns the exit code; throws a ToolError for anything it cannot do. */
  run(args: ArgumentsCamelCase<A>, context: CommandContext): Promise<ExitStatus>;
}

/** A declared command with its argument type erased: what a tool's command list holds. */
export interface Command {
  readonly name: string;
  readonly missing: string | undefined;
  register(argv: Argv): Argv;
  run(args: Record<string, unknown>, context: CommandContext): Promise<ExitStatus>;
}

/**
 * Declares one command. The argument type of `run` is the one the builder's options declare;
 * yargs has checked the options' types (booleans, numbers, choices) before `run` sees them.
 */
export function defineCommand<A>(spec: CommandSpec<A>): Command {
  const name = spec.command.split(' ')[0] ?? spec.command;
  return {
    name,
    missing: spec.missing,
    register: (argv) =>
      argv.command(spec.command, spec.describe, (y) => {
        let built: Argv = spec.builder(y);
        for (const [example, meaning] of spec.examples ?? []) built = built.example(example, meaning);
        return built;
      }),
    // yargs has parsed these arguments against the builder above: the one place the type is taken on trust.
    run: (args, context) => spec.run(args as ArgumentsCamelCase<A>, context),
  };
}

export interface ToolSpec {
  name: string;
  /** One sentence: what the tool is for. */
  summary: string;
  commands: readonly Command[];
  examples?: readonly (readonly [string, string])[];
}

export interface RunOptions {
  /** Aborted by the bin on SIGINT/SIGTERM; tests hand in their own. */
  signal?: AbortSignal;
}

type Parsed = { kind: 'printed' } | { kind: 'run'; command: Command; args: Record<string, unknown> };

/** Runs one tool's command line and returns its exit code. Never throws, never exits. */
export async function runTool(tool: ToolSpec, argv: readonly string[], io: CliIo, options: RunOptions = {}): Promise<ExitStatus> {
  const named = commandNamed(tool, argv);
  const prefix = named === undefined ? tool.name : `${tool.name} ${named.name}`;
  let json = wantsJson(argv);
  try {
    const parsed = await parse(tool, argv, named, io);
    if (parsed.kind === 'printed') return 0;
    json = parsed.args.json === true;
    const signal = options.signal ?? new AbortController().signal;
    return await parsed.command.run(parsed.args, { io, signal, prefix });
  } catch (error) {
    return printCliError(prefix, error, io, json);
  }
}

/** The bin entry: runs the tool on this process, owning its signals, and sets the exit code. */
export async function runBin(tool: ToolSpec, target?: SignalTarget): Promise<void> {
  const trap = trapSignals(target);
  const io: CliIo = {
    stdout: stdoutWriter(),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    // Asked only by a command that draws progress: making process.stderr (and loading tty) costs
    // ~1 ms of every start-up, and most runs print nothing there.
    get stderrIsTTY() {
      return process.stderr.isTTY === true;
    },
  };
  try {
    process.exitCode = await runTool(tool, process.argv.slice(2), io, { signal: trap.signal });
  } finally {
    // Ends the process by the signal when one came: the command has cleaned up and settled.
    trap.release();
  }
}

/** The command the user named: yargs wants it first, and so do we. */
function commandNamed(tool: ToolSpec, argv: readonly string[]): Command | undefined {
  const first = argv.find((a) => !a.startsWith('-'));
  return tool.commands.find((c) => c.name === first);
}

function wantsJson(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--json' || a === '--json=true');
}

async function parse(tool: ToolSpec, argv: readonly string[], named: Command | undefined, io: CliIo): Promise<Parsed> {
  const { default: yargs } = await import('yargs');
  const names = tool.commands.map((c) => c.name);
  let parser: Argv = yargs()
    .scriptName(tool.name)
    .usage(`$0 <command> [options]\n\n${tool.summary}`);
  for (const command of tool.commands) parser = command.register(parser);
  for (const [example, meaning] of tool.examples ?? []) parser = parser.example(example, meaning);
  parser = parser
    .epilogue(`Exit codes: 0 ok, 1 a check failed, 2 usage error or unreadable input. DEBUG=remote-ai:${tool.name}:* for diagnostics.`)
    .demandCommand(1, `name a command: ${names.join(', ')}`)
    .strict()
    .help()
    .alias('h', 'help')
    .version(packageVersion())
    .wrap(null);
  const hint = `see ${tool.name}${named === undefined ? '' : ` ${named.name}`} --help`;
  return new Promise<Parsed>((resolve, reject) => {
    void parser.parse([...argv], {}, (error: Error | undefined | null, args: Record<string, unknown>, output: string) => {
      if (error) {
        reject(new ToolError('USAGE', usageMessage(error.message, named, names, argv.find((a) => !a.startsWith('-'))), { hint, exitCode: 2 }));
        return;
      }
      if (output !== '') {
        io.stdout(output.endsWith('\n') ? output : `${output}\n`);
        resolve({ kind: 'printed' });
        return;
      }
      const command = tool.commands.find((c) => c.name === (args._ as unknown[])[0]);
      if (command === undefined) {
        reject(new ToolError('USAGE', `name a command: ${names.join(', ')}`, { hint, exitCode: 2 }));
        return;
      }
      resolve({ kind: 'run', command, args });
    });
  });
}

/** yargs' messages, said the way the rest of the tool speaks. */
function usageMessage(message: string, named: Command | undefined, names: readonly string[], first: string | undefined): string {
  if (/^Not enough non-option arguments/.test(message)) return named?.missing ?? 'an argument is missing';
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown !== null) {
    // yargs lists `--bad-flag` twice, once camel-cased: keep the spelling the user typed.
    const listed = (unknown[1] ?? '').split(', ');
    const words = listed.filter((w) => !/[A-Z]/.test(w) || !listed.includes(w.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)));
    if (named === undefined && words[0] !== undefined && words[0] === first) {
      return `unknown command ${words[0]}: name one of ${names.join(', ')}`;
    }
    return `unknown option${words.length > 1 ? 's' : ''} ${words.map((w) => (w.length === 1 ? `-${w}` : `--${w}`)).join(', ')}`;
  }
  const missing = /^Missing required arguments?: (.*)$/.exec(message);
  if (missing !== null) return `missing ${(missing[1] ?? '').split(', ').map((w) => `--${w}`).join(', ')}`;
  const choice = /^Invalid values?:\s*Argument: ([^,]+), Given: ("[^"]*"|\S+), Choices: (.*)$/s.exec(message.trim());
  if (choice !== null) return `--${choice[1]} ${choice[2]}: use one of ${choice[3]}`;
  return message;
}

/** The toolkit's version, from the package.json this file ships in. */
export function packageVersion(): string {
  // This file runs from abi-gate/ (tests), dist/abi-gate/ (the bins) or the bundle beside it.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 3; i++) {
    dir = dirname(dir);
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'remote-ai-server-toolkit' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: one level up
    }
  }
  return 'unknown';
}
