/**
 * Runs a composite action's steps on this machine the way the GitHub runner does: each `run`
 * under `bash --noprofile --norc -eo pipefail`, with GITHUB_ACTIONS=true, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, GITHUB_ACTION_PATH, RUNNER_TEMP, and the step's `env` evaluated.
 * Expressions are the subset action.yml uses (`inputs.x`, `github.x`, `steps.<id>.outputs.x`,
 * joined by `||`); anything else is an error, so the action cannot drift beyond what is tested.
 * Like the runner, it stops at the first failing step.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface ActionStep {
  id?: string;
  name?: string;
  shell?: string;
  run?: string;
  env?: Record<string, string>;
  if?: string;
}

export interface ActionDocument {
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

export interface StepRun {
  name: string;
  status: number;
  stdout: string;
  stderr: string;
}

export interface ActionRun {
  steps: StepRun[];
  outputs: Record<string, string>;
  summary: string;
  /** 0 when every step passed, else the failing step's status. */
  status: number;
}

export function loadAction(path: string): ActionDocument {
  return parse(readFileSync(path, 'utf8')) as ActionDocument;
}

interface Context {
  inputs: Record<string, string>;
  github: Record<string, string>;
  steps: Record<string, Record<string, string>>;
}

function evaluate(text: string, context: Context): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_all, expression: string) => {
    for (const alternative of expression.split('||').map((s) => s.trim())) {
      const value = lookup(alternative, context);
      if (value !== '') return value;
    }
    return '';
  });
}

function lookup(ref: string, context: Context): string {
  const input = /^inputs\.([\w-]+)$/.exec(ref);
  if (input?.[1] !== undefined) return context.inputs[input[1]] ?? '';
  const github = /^github\.(\w+)$/.exec(ref);
  if (github?.[1] !== undefined) return context.github[github[1]] ?? '';
  const step = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(ref);
  if (step?.[1] !== undefined && step[2] !== undefined) return context.steps[step[1]]?.[step[2]] ?? '';
  throw new Error(`expression not supported by the local runner: ${ref}`);
}

/** `name=value` lines and `name<<DELIM` blocks, as the runner reads GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([\w-]+)<<(.+)$/.exec(line);
    if (heredoc?.[1] !== undefined && heredoc[2] !== undefined) {
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) body.push(lines[i] ?? '');
      outputs[heredoc[1]] = body.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) outputs[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return outputs;
}

export interface RunActionOptions {
  actionPath: string;
  workspace: string;
  inputs: Record<string, string>;
  sha?: string;
}

export function runAction(action: ActionDocument, options: RunActionOptions): ActionRun {
  if (action.runs.using !== 'composite') throw new Error(`not a composite action: ${action.runs.using}`);
  const inputs: Record<string, string> = {};
  const context: Context = {
    inputs,
    github: { action_path: options.actionPath, sha: options.sha ?? '0123456789abcdef0123456789abcdef01234567', workspace: options.workspace },
    steps: {},
  };
  for (const [name, spec] of Object.entries(action.inputs)) {
    const given = options.inputs[name];
    if (given === undefined && spec.required === true) throw new Error(`input ${name} is required`);
    inputs[name] = given ?? evaluate(spec.default ?? '', context);
  }
  for (const name of Object.keys(options.inputs)) if (!(name in action.inputs)) throw new Error(`unknown input ${name}`);

  const temp = join(options.workspace, '.runner');
  mkdirSync(temp, { recursive: true });
  const summaryFile = join(temp, 'step-summary.md');
  writeFileSync(summaryFile, '');
  const run: ActionRun = { steps: [], outputs: {}, summary: '', status: 0 };
  action.runs.steps.forEach((step, index) => {
    if (run.status !== 0) return;
    if (step.if !== undefined) throw new Error(`step ${index}: if: is not supported by the local runner`);
    if (step.shell !== 'bash' || step.run === undefined) throw new Error(`step ${index}: only bash run steps are supported`);
    const outputFile = join(temp, `output-${index}`);
    writeFileSync(outputFile, '');
    const script = join(temp, `step-${index}.sh`);
    writeFileSync(script, evaluate(step.run, context));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      DOCKER_HOST: process.env['DOCKER_HOST'],
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: outputFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_ACTION_PATH: options.actionPath,
      GITHUB_WORKSPACE: options.workspace,
      RUNNER_TEMP: temp,
    };
    for (const [name, value] of Object.entries(step.env ?? {})) env[name] = evaluate(value, context);
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: options.workspace, env, encoding: 'utf8' });
    run.steps.push({ name: step.name ?? `step ${index}`, status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr });
    if (step.id !== undefined) context.steps[step.id] = parseOutputFile(readFileSync(outputFile, 'utf8'));
    run.status = result.status ?? 1;
  });
  for (const [name, spec] of Object.entries(action.outputs)) run.outputs[name] = evaluate(spec.value, context);
  run.summary = readFileSync(summaryFile, 'utf8');
  return run;
}
