/** `doctor gc`: remove containers of boots that are no longer running. */
import { defineCommand } from '../../abi-gate/index.js';

export const gcCommand = defineCommand({
  command: 'gc',
  describe: 'remove containers of boots that are no longer running (crashed or killed runs); live runs keep theirs',
  builder: (argv) =>
    argv
      .option('run', { type: 'string', describe: 'only the containers of this run id' })
      .option('all', { type: 'boolean', default: false, describe: 'also remove containers of runs that are still alive' })
      .option('json', { type: 'boolean', default: false, describe: 'print {ok, removed, kept, failed} as JSON' }),
  run: async (args, { io }) => {
    // Loaded here: the Docker client is not needed by any other command's start-up.
    const { gc } = await import('../gc.js');
    const result = await gc({ ...(typeof args.run === 'string' ? { runId: args.run } : {}), all: args.all });
    const ok = result.failed.length === 0;
    if (args.json) {
      io.stdout(`${JSON.stringify({ ok, removed: result.removed, kept: result.kept, failed: result.failed }, null, 2)}\n`);
      return ok ? 0 : 1;
    }
    for (const r of result.removed) io.stdout(`removed ${r.id.slice(0, 12)} (${r.state}, run ${r.runId ?? 'unknown'}): ${r.why}\n`);
    for (const k of result.kept) io.stdout(`kept ${k.id.slice(0, 12)} (${k.state}, run ${k.runId ?? 'unknown'}): ${k.why}\n`);
    for (const f of result.failed) io.stdout(`could not remove ${f.id.slice(0, 12)}: ${f.error}\n`);
    io.stdout(`${result.removed.length} removed, ${result.kept.length} kept (live runs), ${result.failed.length} failed\n`);
    return ok ? 0 : 1;
  },
});
