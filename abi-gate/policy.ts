import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToolError } from './errors.js';
import { compareVersions, isNumericVersion } from './requirements.js';
import type { Libc, Policy, PolicyArch } from './types.js';

/** Policies shipped with abi-gate, by name and alias. The JSON files sit in ./policies/. */
const BUILT_IN: Readonly<Record<string, string>> = {
  centos7: 'centos7',
  manylinux2014: 'centos7',
  manylinux_2_17: 'centos7',
  manylinux_2_28: 'manylinux_2_28',
};

export const BUILT_IN_POLICIES: readonly string[] = ['centos7', 'manylinux_2_28'];

const here = dirname(fileURLToPath(import.meta.url));

/** The JSON as the schema describes it (checked by ajv for user files, trusted for built-ins). */
export interface PolicyDocument {
  name: string;
  aliases?: string[];
  description?: string;
  source?: string;
  notes?: string;
  libc?: Libc[];
  kernel?: string;
  libraryWhitelist: string[];
  arches: Record<string, Record<string, string[]>>;
}

/**
 * A built-in policy by name or alias (`centos7`, `manylinux2014`, `manylinux_2_17`,
 * `manylinux_2_28`), or a policy JSON file validated against policy.schema.json.
 */
export function loadPolicy(nameOrPath: string): Policy {
  const builtIn = BUILT_IN[nameOrPath];
  if (builtIn !== undefined) return toPolicy(readJson(join(here, 'policies', `${builtIn}.json`), nameOrPath) as PolicyDocument);
  if (!nameOrPath.endsWith('.json') && !nameOrPath.includes('/')) {
    throw new ToolError('POLICY_UNKNOWN', `unknown policy '${nameOrPath}'`, {
      hint: `use one of ${Object.keys(BUILT_IN).join(', ')} or a policy .json file`,
    });
  }
  const document = readJson(nameOrPath, nameOrPath);
  validate(document, nameOrPath);
  return toPolicy(document);
}

/** Turns a validated document into the Policy the check uses (adds the per-family maxima). */
export function toPolicy(document: PolicyDocument): Policy {
  const arches: Record<string, PolicyArch> = {};
  for (const [machine, families] of Object.entries(document.arches)) {
    const max: Record<string, string> = {};
    for (const [family, versions] of Object.entries(families)) {
      const numeric = versions.filter(isNumericVersion).sort(compareVersions);
      const highest = numeric[numeric.length - 1];
      if (highest !== undefined) max[family] = highest;
    }
    arches[machine] = { allowed: families, max };
  }
  const policy: Policy = {
    name: document.name,
    description: document.description ?? '',
    arches,
    libraryWhitelist: document.libraryWhitelist,
    libc: document.libc ?? ['glibc', 'static', 'none'],
  };
  if (document.source !== undefined) policy.source = document.source;
  if (document.kernel !== undefined) policy.kernel = document.kernel;
  return policy;
}

function readJson(path: string, shown: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ToolError('POLICY_UNREADABLE', `policy file ${shown}: cannot read it (${code})`, {
      hint: `check the path, or use a built-in policy (${BUILT_IN_POLICIES.join(', ')})`,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ToolError('POLICY_JSON', `policy file ${shown}: not valid JSON (${(error as Error).message})`, {
      hint: 'fix the JSON syntax',
    });
  }
}

interface AjvError {
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}
type ValidateFunction = ((data: unknown) => boolean) & { errors?: AjvError[] | null };
interface AjvInstance {
  compile(schema: unknown): ValidateFunction;
}

let compiled: ValidateFunction | undefined;

/** ajv is loaded only here: a scan, and a check with a built-in policy, never pay for it. */
function validate(document: unknown, shown: string): asserts document is PolicyDocument {
  if (compiled === undefined) {
    const require = createRequire(import.meta.url);
    const Ajv = require('ajv') as { default: new (options: object) => AjvInstance };
    const schema = readJson(join(here, 'policy.schema.json'), 'policy.schema.json');
    compiled = new Ajv.default({ allErrors: false, strict: false }).compile(schema);
  }
  if (compiled(document)) return;
  const error = compiled.errors?.[0];
  const field = error === undefined ? '' : error.instancePath === '' ? '(top level)' : error.instancePath.slice(1).replaceAll('/', '.');
  const extra =
    error?.params.additionalProperty !== undefined ? ` '${String(error.params.additionalProperty)}'` :
    error?.params.missingProperty !== undefined ? ` '${String(error.params.missingProperty)}'` : '';
  throw new ToolError('POLICY_SCHEMA', `policy file ${basename(shown)}: ${field} ${error?.message ?? 'is invalid'}${extra}`, {
    hint: 'see abi-gate/policy.schema.json',
  });
}
