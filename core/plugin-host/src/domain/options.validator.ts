import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from '@werkbank/plugin-sdk';
import { formatFieldPath, parseJsonPointer } from './field-path';
import { isSecretPath, type PathSegment } from './secrets';

/**
 * The formats plugin schemas may use. ajv ships none (ajv-formats would be one more dependency
 * for five checks); an unknown format fails the schema, so a plugin author sees it in tests.
 */
const FORMATS: Record<string, (value: string) => boolean> = {
  uri: (value) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) && URL.canParse(value),
  email: (value) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value),
  hostname: (value) => value.length <= 253 && /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/.test(value),
  uuid: (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  'date-time': (value) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(value) && !Number.isNaN(Date.parse(value)),
};
export const SUPPORTED_FORMATS = Object.keys(FORMATS);

export type OptionsValidator = ValidateFunction<Record<string, unknown>>;

/**
 * Compiles an options schema: all errors at once, defaults filled in, strict about unknown
 * keywords (a typo such as `requried` would otherwise silently accept anything). Throws when the
 * schema itself is invalid.
 */
export function compileOptionsSchema(schema: JsonSchema): OptionsValidator {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    verbose: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    allowUnionTypes: true,
    logger: false,
  });
  for (const [name, validate] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate });
  return ajv.compile<Record<string, unknown>>(schema as object);
}

export interface OptionsFieldProblem {
  field: string;
  problem: string;
}

export type OptionsOutcome =
  | { kind: 'valid'; options: Record<string, unknown> }
  /** required options are missing (or the variable is unset): listed, but not usable */
  | { kind: 'not_configured'; options: Record<string, unknown>; problem: string }
  /** the operator set options and they are wrong: start-up stops */
  | { kind: 'invalid'; problems: OptionsFieldProblem[] };

const MAX_SHOWN_VALUE = 60;

function shownValue(value: unknown): string | undefined {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value !== 'string') return undefined;
  return JSON.stringify(value.length > MAX_SHOWN_VALUE ? `${value.slice(0, MAX_SHOWN_VALUE)}…` : value);
}

/** One ajv error as `field` + `problem`; the value is shown only when it is not a secret. */
export function describeOptionsError(error: ErrorObject, schema: JsonSchema): OptionsFieldProblem {
  const path: PathSegment[] = parseJsonPointer(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') {
    return { field: formatFieldPath('options', [...path, String(params.missingProperty)]), problem: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    return { field: formatFieldPath('options', [...path, String(params.additionalProperty)]), problem: 'is not an option of this plugin' };
  }
  let problem = error.message ?? `fails "${error.keyword}"`;
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    problem += `: ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  const value = isSecretPath(schema, path) ? undefined : shownValue(error.data);
  if (value !== undefined) problem += ` (got ${value})`;
  return { field: formatFieldPath('options', path), problem };
}

function describeAll(errors: readonly ErrorObject[], schema: JsonSchema): OptionsFieldProblem[] {
  const seen = new Set<string>();
  return errors
    .map((error) => describeOptionsError(error, schema))
    .filter((p) => !seen.has(`${p.field} ${p.problem}`) && seen.add(`${p.field} ${p.problem}`));
}

/**
 * Validates the raw options variable. Unset, or only top-level `required` errors: the plugin is
 * `not_configured`. Anything else wrong with options the operator did set stops start-up.
 */
export function evaluateOptions(validate: OptionsValidator, schema: JsonSchema, raw: string | undefined, variable: string): OptionsOutcome {
  const unset = raw === undefined || raw.trim() === '';
  let data: unknown = {};
  if (!unset) {
    try {
      data = JSON.parse(raw);
    } catch {
      // JSON.parse's message quotes the input, which may hold a password: never show it.
      return { kind: 'invalid', problems: [{ field: 'options', problem: `(${variable}) is not valid JSON` }] };
    }
  }
  if (validate(data)) return { kind: 'valid', options: data };
  const errors = validate.errors ?? [];
  const described = describeAll(errors, schema);
  const onlyMissing = errors.every((e) => e.keyword === 'required' && e.instancePath === '');
  if (unset || onlyMissing) {
    const list = described.map((p) => `${p.field} ${p.problem}`).join(', ');
    const options = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
    return { kind: 'not_configured', options, problem: unset ? `${variable} is not set (${list})` : `required options are missing in ${variable} (${list})` };
  }
  return { kind: 'invalid', problems: described };
}
