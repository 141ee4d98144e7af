import { valid as validVersion, validRange } from 'semver';
import { PLUGIN_ID_PATTERN } from '@werkbank/plugin-sdk';
import type { JsonSchema } from '@werkbank/plugin-sdk';
import { compileOptionsSchema, type OptionsValidator } from './options.validator';

/** One thing wrong with a manifest, as a path below `manifest` and a problem. */
export interface ManifestIssue {
  field: string;
  problem: string;
}

export interface ManifestCheck {
  issues: ManifestIssue[];
  /** the compiled `optionsSchema`, when it compiled */
  optionsValidator?: OptionsValidator;
}

const MODES = ['shared', 'dedicated'];
const AGGREGATIONS = ['sum', 'count', 'max', 'unique_count', 'latest', 'time_weighted'];
const PRICE_MODELS = ['per_unit', 'package'];
const ENTITLEMENT_TYPES = ['boolean', 'integer', 'decimal', 'string', 'string[]', 'enum'];
const DECIMAL = /^\d+(\.\d+)?$/;
const CURRENCY = /^[A-Z]{3}$/;
const NAME_AFTER_ID = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => value !== null && typeof value === 'object' && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
const quoted = (value: unknown): string => {
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 60)}…` : json;
};

/**
 * Checks everything the host relies on before running any of the plugin's code: identity
 * format, versions, schemas, meters, prices, entitlement keys and modes. Identity against the
 * package and folder, and SDK compatibility, are the loader's (they need the environment).
 */
export function validateManifest(manifest: unknown): ManifestCheck {
  const issues: ManifestIssue[] = [];
  const add = (field: string, problem: string) => issues.push({ field: `manifest${field}`, problem });
  if (!isObject(manifest)) {
    add('', 'is missing or not an object');
    return { issues };
  }

  const id = manifest.id;
  if (typeof id !== 'string' || !PLUGIN_ID_PATTERN.test(id)) {
    add('.id', `must be kebab-case: lowercase letters and digits in dash-separated words, starting with a letter (got ${quoted(id)})`);
  }
  if (typeof manifest.version !== 'string' || validVersion(manifest.version) === null) {
    add('.version', `must be a semantic version such as 1.2.3 (got ${quoted(manifest.version)})`);
  }
  if (!isText(manifest.sdkCompatibility) || validRange(manifest.sdkCompatibility) === null) {
    add('.sdkCompatibility', `must be a semver range of the plugin SDK such as ^1.0.0 (got ${quoted(manifest.sdkCompatibility)})`);
  }
  for (const field of ['displayName', 'description'] as const) {
    if (!isText(manifest[field])) add(`.${field}`, 'must be a non-empty string');
  }

  const optionsValidator = checkSchema(manifest.optionsSchema, '.optionsSchema', true, add);
  checkSchema(manifest.instanceOptionsSchema, '.instanceOptionsSchema', false, add);

  if (!Array.isArray(manifest.modes) || manifest.modes.length === 0) {
    add('.modes', 'must list at least one mode: "shared" and/or "dedicated"');
  } else {
    manifest.modes.forEach((mode, i) => {
      if (!MODES.includes(mode as string)) add(`.modes[${i}]`, `must be "shared" or "dedicated" (got ${quoted(mode)})`);
      else if (manifest.modes && (manifest.modes as unknown[]).indexOf(mode) !== i) add(`.modes[${i}]`, `repeats ${quoted(mode)}`);
    });
  }

  const prefix = typeof id === 'string' ? `${id}.` : undefined;
  const keyProblem = (key: unknown): string | undefined => {
    if (typeof key !== 'string' || !prefix || !key.startsWith(prefix) || !NAME_AFTER_ID.test(key.slice(prefix.length))) {
      return `must be "${prefix ?? '<id>.'}<name>" (got ${quoted(key)})`;
    }
    return undefined;
  };

  const meters = new Map<string, Obj>();
  if (!Array.isArray(manifest.meters)) {
    add('.meters', 'must be an array (empty when the plugin reports no usage)');
  } else {
    manifest.meters.forEach((meter, i) => {
      const at = `.meters[${i}]`;
      if (!isObject(meter)) return add(at, 'must be an object');
      const problem = keyProblem(meter.key);
      if (problem) add(`${at}.key`, problem);
      else if (meters.has(meter.key as string)) add(`${at}.key`, `${quoted(meter.key)} is declared twice`);
      else meters.set(meter.key as string, meter);
      if (!isText(meter.unit)) add(`${at}.unit`, 'must be a non-empty string such as "token" or "request"');
      if (!AGGREGATIONS.includes(meter.aggregation as string)) {
        add(`${at}.aggregation`, `must be one of ${AGGREGATIONS.join(', ')} (got ${quoted(meter.aggregation)})`);
      }
      if (!isText(meter.description)) add(`${at}.description`, 'must be a non-empty string');
      if (meter.dimensions !== undefined && (!Array.isArray(meter.dimensions) || !meter.dimensions.every(isText))) {
        add(`${at}.dimensions`, 'must be an array of property names');
      }
      if (meter.aggregation === 'unique_count' && !isText(meter.valueProperty)) {
        add(`${at}.valueProperty`, 'is required for aggregation "unique_count": the property whose distinct values are counted');
      }
    });
  }

  if (manifest.suggestedPrices !== undefined) {
    if (!Array.isArray(manifest.suggestedPrices)) add('.suggestedPrices', 'must be an array');
    else manifest.suggestedPrices.forEach((price, i) => checkPrice(price, `.suggestedPrices[${i}]`, meters, add));
  }

  if (manifest.entitlementKeys !== undefined) {
    if (!Array.isArray(manifest.entitlementKeys)) add('.entitlementKeys', 'must be an array');
    else {
      const seen = new Set<string>();
      manifest.entitlementKeys.forEach((entry, i) => {
        const at = `.entitlementKeys[${i}]`;
        if (!isObject(entry)) return add(at, 'must be an object');
        const problem = keyProblem(entry.key);
        if (problem) add(`${at}.key`, problem);
        else if (seen.has(entry.key as string)) add(`${at}.key`, `${quoted(entry.key)} is declared twice`);
        else seen.add(entry.key as string);
        if (!ENTITLEMENT_TYPES.includes(entry.type as string)) add(`${at}.type`, `must be one of ${ENTITLEMENT_TYPES.join(', ')} (got ${quoted(entry.type)})`);
        if (!isText(entry.description)) add(`${at}.description`, 'must be a non-empty string');
        if (entry.values !== undefined && (!Array.isArray(entry.values) || !entry.values.every(isText))) add(`${at}.values`, 'must be an array of strings');
        if (entry.type === 'enum' && (!Array.isArray(entry.values) || entry.values.length === 0)) add(`${at}.values`, 'must list the allowed values of an "enum"');
        if (entry.default !== undefined && !defaultFits(entry.type, entry.default, entry.values)) {
          add(`${at}.default`, `does not fit type ${quoted(entry.type)} (got ${quoted(entry.default)})`);
        }
      });
    }
  }
  return { issues, optionsValidator };
}

function checkSchema(schema: unknown, field: string, required: boolean, add: (field: string, problem: string) => void): OptionsValidator | undefined {
  if (schema === undefined && !required) return undefined;
  if (!isObject(schema) || schema.type !== 'object') {
    add(field, 'must be a JSON Schema of type "object" (use { type: "object", properties: {} } for none)');
    return undefined;
  }
  try {
    return compileOptionsSchema(schema as JsonSchema);
  } catch (error) {
    add(field, `is not a valid JSON Schema: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

function checkPrice(price: unknown, at: string, meters: Map<string, Obj>, add: (field: string, problem: string) => void): void {
  if (!isObject(price)) return add(at, 'must be an object');
  const meter = typeof price.meter === 'string' ? meters.get(price.meter) : undefined;
  if (!meter) add(`${at}.meter`, `must name a meter declared in manifest.meters (got ${quoted(price.meter)})`);
  if (typeof price.currency !== 'string' || !CURRENCY.test(price.currency)) add(`${at}.currency`, `must be an ISO 4217 code such as "EUR" (got ${quoted(price.currency)})`);
  if (typeof price.unitPrice !== 'string' || !DECIMAL.test(price.unitPrice)) add(`${at}.unitPrice`, `must be a decimal string such as "0.10" (got ${quoted(price.unitPrice)})`);
  if (price.perQuantity !== undefined && (typeof price.perQuantity !== 'string' || !DECIMAL.test(price.perQuantity) || Number(price.perQuantity) <= 0)) {
    add(`${at}.perQuantity`, `must be a positive decimal string such as "1000" (got ${quoted(price.perQuantity)})`);
  }
  if (price.includedQuantity !== undefined && (typeof price.includedQuantity !== 'string' || !DECIMAL.test(price.includedQuantity))) {
    add(`${at}.includedQuantity`, `must be a decimal string (got ${quoted(price.includedQuantity)})`);
  }
  if (!PRICE_MODELS.includes(price.model as string)) add(`${at}.model`, `must be "per_unit" or "package" (got ${quoted(price.model)})`);
  if (!isText(price.description)) add(`${at}.description`, 'must be a non-empty string');
  if (price.dimensions !== undefined) {
    if (!isObject(price.dimensions) || !Object.values(price.dimensions).every((v) => typeof v === 'string')) {
      add(`${at}.dimensions`, 'must map dimension names to string values');
    } else if (meter) {
      const declared = Array.isArray(meter.dimensions) ? (meter.dimensions as string[]) : [];
      for (const name of Object.keys(price.dimensions)) {
        if (!declared.includes(name)) add(`${at}.dimensions.${name}`, `is not a dimension of meter ${quoted(meter.key)}`);
      }
    }
  }
}

function defaultFits(type: unknown, value: unknown, values: unknown): boolean {
  switch (type) {
    case 'boolean': return typeof value === 'boolean';
    case 'integer': return Number.isInteger(value);
    case 'decimal': return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value);
    case 'string': return typeof value === 'string';
    case 'string[]': return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'enum': return typeof value === 'string' && Array.isArray(values) && values.includes(value);
    default: return true; // the type itself is reported
  }
}
