/**
 * Remote commands reach the host as one string that the login user's shell runs (`$SHELL -c`,
 * OpenSSH session.c): every script here is wrapped as `exec /bin/sh -c '<script>' <name> <args>`
 * so that it runs under sh whatever that shell is. Single quotes with `'\''` are the one quoting
 * that sh, bash, dash, ksh and zsh read alike; csh and fish users' logins are not supported.
 */
export function shQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line that runs `script` under /bin/sh on the host, with `$0` = name and `$1..` = args. */
export function shCommand(script: string, name: string, args: readonly string[] = []): string {
  return ['exec', '/bin/sh', '-c', shQuote(script), shQuote(name), ...args.map(shQuote)].join(' ');
}
