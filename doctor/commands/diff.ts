/** `doctor diff`: what changed between two releases. */
import { defineCommand } from '../../abi-gate/index.js';
import { diff, glibcRose } from '../diff.js';
import { renderDiffHuman } from '../diff-render.js';

export const diffCommand = defineCommand({
  command: 'diff <old> <new>',
  describe: 'what changed between two releases (tarballs or manifests): min glibc/libstdc++ and culprits, node, files',
  missing: 'name two releases, the old then the new (tarballs or manifests)',
  builder: (argv) =>
    argv
      .positional('old', { type: 'string', demandOption: true, describe: 'the earlier release: tarball or manifest' })
      .positional('new', { type: 'string', demandOption: true, describe: 'the later release: tarball or manifest' })
      .option('json', { type: 'boolean', default: false, describe: 'print the diff as JSON' })
      .option('fail-on-glibc-rise', { type: 'boolean', default: false, describe: 'exit 1 when min GLIBC, GLIBCXX or CXXABI rose' }),
  examples: [['$0 diff dist-old/x.manifest.json dist/x.tar.gz --fail-on-glibc-rise', 'fail when the new release needs a newer glibc']],
  run: async (args, { io }) => {
    const report = await diff(String(args.old), String(args.new));
    io.stdout(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderDiffHuman(report));
    return args['fail-on-glibc-rise'] && glibcRose(report) ? 1 : 0;
  },
});
