/** `doctor gc`: remove containers that crashed or killed boots left behind. */
import { defineCommand } from '../../abi-gate/index.js';

export const gcCommand = defineCommand({
  command: 'gc',
  describe: 'remove containers that crashed or killed boots left behind (found by label)',
  builder: (argv) =>
    argv
      .option('run', { type: 'string', describe: 'only the containers of this run id' })
      .option('json', { type: 'boolean', default: false, describe: 'print {ok, removed, failed} as JSON' }),
  run: async (args, { io }) => {
    // Loaded here: the Docker client is not needed by any other command's start-up.
    const { gc } = await import('../gc.js');
    const result = await gc(typeof args.run === 'string' ? { runId: args.run } : {});
    const ok = result.failed.length === 0;
    if (args.json) {
      io.stdout(`${JSON.stringify({ ok, removed: result.removed, failed: result.failed }, null, 2)}\n`);
      return ok ? 0 : 1;
    }
    for (const r of result.removed) io.stdout(`removed ${r.id.slice(0, 12)} (${r.state}, run ${r.runId ?? 'unknown'})\n`);
    for (const f of result.failed) io.stdout(`could not remove ${f.id.slice(0, 12)}: ${f.error}\n`);
    io.stdout(`${result.removed.length} removed, ${result.failed.length} failed\n`);
    return ok ? 0 : 1;
  },
});
