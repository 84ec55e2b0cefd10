import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli as abiGateCli } from '../abi-gate/index.js';
import { runCli as doctorCli } from '../doctor/index.js';
import { runCli as packagerCli, SUMS_FILE } from '../packager/index.js';
import { loadAction } from './test-support/run-action.js';

// The workflow users copy must only call what exists: the toolkit's action with inputs it declares,
// our bins, their subcommands and flags (read from each CLI's own --help), and files the tools
// really write. ci/action.test.ts runs the action itself.
const ROOT = join(import.meta.dirname, '..');
const WORKFLOW = join(ROOT, 'ci', 'github', 'release-gate.yml');
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; bin: Record<string, string> };

async function helpOf(bin: string, sub: string): Promise<string> {
  let out = '';
  await runHelp(bin, [sub, '--help'], (text) => {
    out += text;
  });
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
/** The toolkit's own action, used from node_modules after `npm ci`. */
const TOOLKIT_ACTION = `./node_modules/${PACKAGE.name}`;

async function problemsOf(text: string): Promise<string[]> {
  const problems: string[] = [];
  const doc = parse(text) as { jobs?: Record<string, { steps?: Step[]; env?: Record<string, string> }> };
  const jobs = Object.values(doc.jobs ?? {});
  if (jobs.length === 0) problems.push('no jobs');
  const action = loadAction(join(ROOT, 'action.yml'));
  for (const job of jobs) {
    let madeDirs = new Set<string>();
    for (const step of job.steps ?? []) {
      if (step.uses === TOOLKIT_ACTION) {
        const given = Object.keys(step.with ?? {});
        for (const name of given.filter((n) => !(n in action.inputs))) problems.push(`${TOOLKIT_ACTION}: no input ${name}`);
        for (const [name, spec] of Object.entries(action.inputs)) {
          if (spec.required === true && !given.includes(name)) problems.push(`${TOOLKIT_ACTION}: input ${name} is required`);
        }
        continue;
      }
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
          continue;
        }
        if (!SYSTEM_COMMANDS.has(command)) problems.push(`unknown command ${command}`);
        if (command === 'mkdir') madeDirs = new Set([...madeDirs, ...words(line).slice(1).filter((w) => !w.startsWith('-'))]);
        if (command === 'sha256sum' && !line.includes(SUMS_FILE)) problems.push(`sha256sum does not check ${SUMS_FILE}`);
      }
    }
    const uploads = (job.steps ?? []).filter((s) => s.uses?.startsWith('actions/upload-artifact') === true);
    const uploaded = uploads.map((s) => String(s.with?.['path'] ?? '')).join('\n');
    if (!uploaded.includes(`dist/${SUMS_FILE}`)) problems.push(`dist/${SUMS_FILE} is not uploaded`);
    if (!uploaded.includes('steps.gate.outputs.tarball')) problems.push('the gate\'s tarball is not uploaded');
  }
  return problems;
}

describe('ci/github/release-gate.yml', () => {
  const text = readFileSync(WORKFLOW, 'utf8');

  it('uses the toolkit action with inputs it has, and calls only commands and flags that exist', async () => {
    expect(await problemsOf(text)).toEqual([]);
    const steps = (parse(text) as { jobs: Record<string, { steps: Step[] }> }).jobs['release-gate']?.steps ?? [];
    const gate = steps.findIndex((s) => s.uses === TOOLKIT_ACTION);
    const sums = steps.findIndex((s) => (s.run ?? '').includes('sha256sum --check'));
    expect(gate).toBeGreaterThan(steps.findIndex((s) => s.run === 'npm ci'));
    expect(sums).toBeGreaterThan(gate);
    expect(steps[gate]?.with).toMatchObject({ 'node-flavor': 'glibc-217', junit: 'reports/doctor-verify.xml' });
  });

  it('catches an input the action lacks, a missing required input, an unknown bin and a renamed flag', async () => {
    const broken = text
      .replace('node-flavor: glibc-217', 'node-flavour: glibc-217')
      .replace('server: ${{ env.SERVER_DIR }}', 'srv: ${{ env.SERVER_DIR }}')
      .replace('run: npm ci', 'run: npx doktor ci')
      .replace('npx doctor gc', 'npx doctor gc --everything');
    const problems = await problemsOf(broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        `${TOOLKIT_ACTION}: no input node-flavour`,
        `${TOOLKIT_ACTION}: input server is required`,
        'npx doktor: not a bin of remote-ai-server-toolkit',
        'doctor gc: no flag --everything',
      ]),
    );
  });
});
