/**
 * The doctor CLI: its commands, one file each in commands/, in help order, run by the shared CLI
 * shell (abi-gate's `runTool`). A new command is a file in commands/ and one line here.
 */
import { runBin, runTool, type CliIo, type ToolSpec } from '../abi-gate/index.js';
import { bootCommand } from './commands/boot.js';
import { diffCommand } from './commands/diff.js';
import { gcCommand } from './commands/gc.js';
import { sshCommand } from './commands/ssh.js';
import { verifyCommand } from './commands/verify.js';

export type { CliIo } from '../abi-gate/index.js';

export const DOCTOR: ToolSpec = {
  name: 'doctor',
  summary: 'Release gate for remote-ai-server tarballs: verify them, boot them in a container or on a dev host over ssh, diff two releases.',
  commands: [verifyCommand, diffCommand, bootCommand, gcCommand, sshCommand],
};

/** Runs the CLI and returns its exit code (tests call this; the bin runs `main`). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  return runTool(DOCTOR, argv, io);
}

export async function main(): Promise<void> {
  await runBin(DOCTOR);
}
