import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { runCli as abiGateCli } from '../abi-gate/index.js';
import { runCli as doctorCli } from '../doctor/index.js';
import { runCli as packagerCli, SUMS_FILE } from '../packager/index.js';

// The workflow users copy must only call what exists: our bins, their subcommands and flags (read
// from each CLI's own --help), the image folder it builds, and files the tools really write.
const ROOT = join(import.meta.dirname, '..');
const WORKFLOW = join(ROOT, 'ci', 'github', 'release-gate.yml');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string> };

async function helpOf(bin: string, sub: string): Promise<string> {
  let out = '';
  const write = (text: string): void => {
    out += text;
  };
  const argv = [sub, '--help'];
  // yargs prints help through console.log, not through the CLI's io.
  const spies = [vi.spyOn(console, 'log'), vi.spyOn(console, 'error')].map((spy) =>
    spy.mockImplementation((...args: unknown[]) => write(`${args.map(String).join(' ')}\n`)),
  );
  try {
    await runHelp(bin, argv, write);
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return out;
}

async function runHelp(bin: string, argv: string[], write: (text: string) => void): Promise<void> {
  if (bin === 'doctor') await doctorCli(argv, { stdout: write, stderr: write, env: {} });
  else if (bin === 'packager') await packagerCli(argv, { stdout: write, stderr: write, env: {}, stderrIsTTY: false });
  else if (bin === 'abi-gate') await abiGateCli(argv, { stdout: write, stderr: write, env: {} });
}

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  'working-directory'?: string;
}

/** Words of one shell command line, quotes removed (the workflow uses no nested quoting). */
function words(line: string): string[] {
  return (line.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^["']|["']$/g, ''));
}

const SYSTEM_COMMANDS = new Set(['mkdir', 'docker', 'sha256sum', 'npm']);

async function problemsOf(text: string): Promise<string[]> {
  const problems: string[] = [];
  const doc = parse(text) as { jobs?: Record<string, { steps?: Step[]; env?: Record<string, string> }> };
  const jobs = Object.values(doc.jobs ?? {});
  if (jobs.length === 0) problems.push('no jobs');
  for (const job of jobs) {
    const env = job.env ?? {};
    const toolkit = env['TOOLKIT'] ?? '';
    if (toolkit !== `node_modules/${PACKAGE.name}`) problems.push(`TOOLKIT ${toolkit} is not node_modules/${PACKAGE.name}`);
    const builtTags = new Set<string>();
    let madeDirs = new Set<string>();
    for (const step of job.steps ?? []) {
      if (step.uses !== undefined && !/^actions\/(checkout|setup-node|upload-artifact)@v\d+$/.test(step.uses)) {
        problems.push(`unexpected action ${step.uses}`);
      }
      for (const line of (step.run ?? '').split('\n').filter((l) => l.trim() !== '')) {
        const [command = '', bin = '', sub = '', ...rest] = words(line);
        if (command === 'npx') {
          if (PACKAGE.bin[bin] === undefined) {
            problems.push(`npx ${bin}: not a bin of ${PACKAGE.name}`);
            continue;
          }
          const help = await helpOf(bin, sub);
          if (!help.includes(`${bin} ${sub}`)) problems.push(`${bin} ${sub}: no such command`);
          for (const flag of rest.filter((w) => w.startsWith('--'))) {
            const name = (flag.split('=')[0] ?? flag).replace(/[-]/g, '\\-');
            if (!new RegExp(`${name}(?![\\w-])`).test(help)) problems.push(`${bin} ${sub}: no flag ${flag}`);
          }
          const junit = rest[rest.indexOf('--junit') + 1];
          if (rest.includes('--junit') && junit !== undefined && ![...madeDirs].some((d) => junit.startsWith(`${d}/`))) {
            problems.push(`--junit ${junit}: its folder is not created first`);
          }
          const image = rest[rest.indexOf('--image') + 1];
          if (rest.includes('--image') && image !== undefined && !builtTags.has(image)) problems.push(`--image ${image} is never built`);
          continue;
        }
        if (!SYSTEM_COMMANDS.has(command)) problems.push(`unknown command ${command}`);
        if (command === 'mkdir') madeDirs = new Set([...madeDirs, ...words(line).slice(1).filter((w) => !w.startsWith('-'))]);
        if (command === 'docker' && bin === 'build') {
          const all = words(line);
          const tag = all[all.indexOf('--tag') + 1] ?? '';
          builtTags.add(tag);
          const context = (all.at(-1) ?? '').replace('$TOOLKIT', ROOT);
          if (!existsSync(join(context, 'Dockerfile'))) problems.push(`docker build ${all.at(-1)}: no Dockerfile in this package`);
        }
        if (command === 'sha256sum' && !line.includes(SUMS_FILE)) problems.push(`sha256sum does not check ${SUMS_FILE}`);
      }
    }
    const uploads = (job.steps ?? []).filter((s) => s.uses?.startsWith('actions/upload-artifact') === true);
    if (!uploads.some((s) => String(s.with?.['path'] ?? '').includes(`dist/${SUMS_FILE}`))) problems.push(`dist/${SUMS_FILE} is not uploaded`);
  }
  return problems;
}

describe('ci/github/release-gate.yml', () => {
  const text = readFileSync(WORKFLOW, 'utf8');

  it('calls only commands, subcommands and flags that exist, in the documented order', async () => {
    expect(await problemsOf(text)).toEqual([]);
    const runs = (parse(text) as { jobs: Record<string, { steps: Step[] }> }).jobs['release-gate']?.steps.map((s) => s.run ?? '') ?? [];
    const order = ['docker build', 'npx packager build', 'npx abi-gate check --policy centos7', 'npx doctor verify', 'sha256sum --check'];
    const at = order.map((c) => runs.findIndex((r) => r.includes(c)));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('boots in the image it built, with JUnit, and GitHub annotations come from running under Actions', () => {
    expect(text).toMatch(/npx doctor verify dist\/\*\.tar\.gz --boot --image remote-ai\/centos7:gate --junit reports\//);
  });

  it('catches a renamed flag, an unknown bin, a missing image and an unbuilt tag', async () => {
    const broken = text
      .replace('--boot --image', '--bootx --image')
      .replace('npx abi-gate check', 'npx abigate check')
      .replace('--tag remote-ai/centos7:gate', '--tag remote-ai/centos7:other')
      .replace('"$TOOLKIT/docker/centos7"', '"$TOOLKIT/docker/centos6"');
    const problems = await problemsOf(broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        'doctor verify: no flag --bootx',
        'npx abigate: not a bin of remote-ai-server-toolkit',
        '--image remote-ai/centos7:gate is never built',
        'docker build $TOOLKIT/docker/centos6: no Dockerfile in this package',
      ]),
    );
  });
});
