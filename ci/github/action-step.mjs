#!/usr/bin/env node
// The GitHub side of action.yml's build step: reads `packager build --json` output and writes the
// step outputs ($GITHUB_OUTPUT), ::error annotations (stdout) and a section of the job summary
// ($GITHUB_STEP_SUMMARY). doctor writes its own annotations and summary under GITHUB_ACTIONS=true.
//
//   node action-step.mjs build <packager-result.json> <packager exit status>
import { appendFileSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
// The toolkit's one escaping per destination (abi-gate/escape/): names in a result come from inputs.
import { markdownText, workflowMessage, workflowProperty } from '../../dist/abi-gate/escape/index.js';

// GitHub shows at most 10 error annotations per step; the rest stay in the log and the summary.
const MAX_ANNOTATIONS = 10;

function output(name, value) {
  const file = process.env.GITHUB_OUTPUT;
  // Values here are paths and booleans: one line each, so the name=value form is safe.
  if (file) appendFileSync(file, `${name}=${value}\n`);
}

function summary(markdown) {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, `${markdown}\n`);
}

function annotate(title, message) {
  process.stdout.write(`::error title=${workflowProperty(title)}::${workflowMessage([String(message)])}\n`);
}

function readResult(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

const cell = (text) => markdownText(String(text));

function built(result) {
  output('tarball', result.tarball);
  output('manifest', result.manifest);
  const abi = result.abi ?? {};
  const needs = [['GLIBC', abi.minGlibc], ['GLIBCXX', abi.minGlibcxx], ['CXXABI', abi.minCxxabi]]
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([family, v]) => `${family} ${v}`)
    .join(', ');
  const rows = [
    ['tarball', `${cell(basename(result.tarball))} (${(result.size / 1e6).toFixed(1)} MB)`],
    ['sha256', `\`${result.sha256}\``],
    ['node', cell(`${result.node.version} (NODE_MODULE_VERSION ${result.node.moduleVersion}, ${result.node.flavor})`)],
    ['needs', cell(needs === '' ? 'no versioned glibc or libstdc++ symbols' : needs)],
    ['policy', cell(abi.policy === 'none' ? 'none (not gated)' : `${abi.policy}: passed`)],
    ['pruned', result.pruned.length === 0 ? 'nothing' : result.pruned.map((p) => cell(p.path)).join(', ')],
  ];
  summary(['### packager build', '', '| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), ''].join('\n'));
}

function failed(result, status) {
  output('ok', 'false');
  const error = result?.error ?? { message: `packager exited ${status} without a result`, hint: null, details: [] };
  const line = error.hint ? `${error.message} (${error.hint})` : error.message;
  annotate('packager build', line);
  const details = error.details ?? [];
  for (const detail of details.slice(0, MAX_ANNOTATIONS - 1)) annotate('packager build', detail);
  summary(['### packager build failed', '', cell(line), '', ...details.map((d) => `- ${cell(d)}`), ''].join('\n'));
}

const [command, resultPath, statusText] = process.argv.slice(2);
if (command !== 'build' || resultPath === undefined) {
  process.stderr.write('usage: action-step.mjs build <packager-result.json> <status>\n');
  process.exit(2);
}
const status = Number(statusText ?? '0');
const result = readResult(resultPath);
if (status === 0 && result?.ok === true) built(result);
else failed(result, status);
