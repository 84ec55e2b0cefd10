import type { Argv, CommandModule } from 'yargs';

/** Adds one command to the doctor parser; cli.ts keeps the list in help order. */
export type Register = (parser: Argv) => Argv;

/**
 * Ties a handler's argument type to the options its builder declares, so handlers read typed
 * values instead of casting raw yargs output.
 */
export function register<U>(module: CommandModule<{}, U>): Register {
  return (parser) => parser.command(module);
}
