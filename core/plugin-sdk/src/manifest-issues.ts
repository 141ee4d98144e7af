import { valid as validVersion, validRange } from 'semver';
import type { EntitlementType, MeterAggregation, ServiceMode } from './manifest';
import { PLUGIN_ID_PATTERN } from './plugin';

/** One thing wrong with a manifest: where (`'manifest.meters[0].key'`) and what. */
export interface ManifestIssue {
  /** a path below `manifest`, JavaScript-style: `'manifest.entitlementKeys[2].default'` */
  field: string;
  /** reads as a sentence after the field: `'must be "demo.<name>" (got "requests")'` */
  problem: string;
}

const MODES: readonly ServiceMode[] = ['shared', 'dedicated'];
const AGGREGATIONS: readonly MeterAggregation[] = ['sum', 'count', 'max', 'unique_count', 'latest', 'time_weighted'];
const PRICE_MODELS = ['per_unit', 'package'];
const ENTITLEMENT_TYPES: readonly EntitlementType[] = ['boolean', 'integer', 'decimal', 'string', 'string[]', 'enum'];
/** prices and quantities: '10', '0.25' (no sign, exponent or spaces) */
const DECIMAL = /^\d+(\.\d+)?$/;
/** a 'decimal' entitlement may be negative */
const SIGNED_DECIMAL = /^-?\d+(\.\d+)?$/;
const CURRENCY = /^[A-Z]{3}$/;
const NAME_AFTER_ID = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

type Obj = Record<string, unknown>;
type Add = (field: string, problem: string) => void;
const isObject = (value: unknown): value is Obj => value !== null && typeof value === 'object' && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
const quoted = (value: unknown): string => {
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 60)}…` : json;
};

/**
 * Everything structurally wrong with a manifest; empty when it is valid. The plugin host runs
 * these checks before loading a plugin (and also compiles the options schemas in Ajv strict
 * mode), the testkit's contract suite runs them in the plugin's tests. Not checked here, because
 * they need the environment: the id against the package and folder, and whether
 * `sdkCompatibility` includes the running SDK.
 */
export function manifestIssues(manifest: unknown): ManifestIssue[] {
  const issues: ManifestIssue[] = [];
  const add: Add = (field, problem) => issues.push({ field: `manifest${field}`, problem });
  if (!isObject(manifest)) {
    add('', 'is missing or not an object');
    return issues;
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

  checkObjectSchema(manifest.optionsSchema, '.optionsSchema', true, add);
  checkObjectSchema(manifest.instanceOptionsSchema, '.instanceOptionsSchema', false, add);

  if (!Array.isArray(manifest.modes) || manifest.modes.length === 0) {
    add('.modes', 'must list at least one mode: "shared" and/or "dedicated"');
  } else {
    checkList(manifest.modes, '.modes', add, (mode) => (MODES.includes(mode as ServiceMode) ? undefined : `must be "shared" or "dedicated" (got ${quoted(mode)})`));
  }

  const prefix = typeof id === 'string' ? `${id}.` : undefined;
  const keyProblem = (key: unknown): string | undefined =>
    typeof key !== 'string' || !prefix || !key.startsWith(prefix) || !NAME_AFTER_ID.test(key.slice(prefix.length))
      ? `must be "${prefix ?? '<id>.'}<name>" (got ${quoted(key)})`
      : undefined;

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
      if (!AGGREGATIONS.includes(meter.aggregation as MeterAggregation)) {
        add(`${at}.aggregation`, `must be one of ${AGGREGATIONS.join(', ')} (got ${quoted(meter.aggregation)})`);
      }
      if (!isText(meter.description)) add(`${at}.description`, 'must be a non-empty string');
      if (meter.dimensions !== undefined) {
        if (!Array.isArray(meter.dimensions) || !meter.dimensions.every(isText)) add(`${at}.dimensions`, 'must be an array of property names');
        else checkList(meter.dimensions, `${at}.dimensions`, add);
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
        checkEntitlement(entry, at, add);
        if (entry.quota !== undefined) checkQuota(entry, at, meters, add);
      });
    }
  }
  return issues;
}

/** An entitlement that keeps a quota: a number-typed value, on one of the plugin's own meters, as a hard or soft limit (since 1.2.0). */
function checkQuota(entry: Obj, at: string, meters: ReadonlyMap<string, Obj>, add: Add): void {
  const quota = entry.quota;
  if (!isObject(quota)) return add(`${at}.quota`, 'must be an object { meter, limit: "hard" | "soft" }');
  if (typeof quota.meter !== 'string' || !meters.has(quota.meter)) {
    add(`${at}.quota.meter`, `must be one of the plugin's meters${meters.size ? ` (${[...meters.keys()].join(', ')})` : ' (it declares none)'} (got ${quoted(quota.meter)})`);
  }
  if (quota.limit !== 'hard' && quota.limit !== 'soft') add(`${at}.quota.limit`, `must be "hard" or "soft" (got ${quoted(quota.limit)})`);
  if (entry.type !== 'integer' && entry.type !== 'decimal') add(`${at}.type`, `must be "integer" or "decimal" for an entitlement with a quota (got ${quoted(entry.type)})`);
}

/** Reports the items `problemOf` finds wrong, then every repeated item. */
function checkList(items: unknown[], at: string, add: Add, problemOf: (item: unknown) => string | undefined = () => undefined): void {
  items.forEach((item, i) => {
    const problem = problemOf(item);
    if (problem) add(`${at}[${i}]`, problem);
    else if (items.indexOf(item) !== i) add(`${at}[${i}]`, `repeats ${quoted(item)}`);
  });
}

/** The shape of an options schema: an object schema whose `required` names declared properties. */
function checkObjectSchema(schema: unknown, at: string, required: boolean, add: Add): void {
  if (schema === undefined && !required) return;
  if (!isObject(schema) || schema.type !== 'object') {
    return add(at, 'must be a JSON Schema of type "object" (use { type: "object", properties: {} } for none)');
  }
  const properties = schema.properties;
  if (properties !== undefined && !isObject(properties)) add(`${at}.properties`, 'must map property names to JSON Schemas');
  if (schema.required === undefined) return;
  if (!Array.isArray(schema.required) || !schema.required.every((name) => typeof name === 'string')) {
    return add(`${at}.required`, 'must be an array of property names');
  }
  const declared = isObject(properties) ? properties : {};
  checkList(schema.required, `${at}.required`, add, (name) =>
    Object.prototype.hasOwnProperty.call(declared, name as string) ? undefined : `names ${quoted(name)}, which is not declared in properties`,
  );
}

function checkPrice(price: unknown, at: string, meters: Map<string, Obj>, add: Add): void {
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
      const declared = Array.isArray(meter.dimensions) ? (meter.dimensions as unknown[]) : [];
      for (const name of Object.keys(price.dimensions)) {
        if (!declared.includes(name)) add(`${at}.dimensions.${name}`, `is not a dimension of meter ${quoted(meter.key)}`);
      }
    }
  }
}

function checkEntitlement(entry: Obj, at: string, add: Add): void {
  const { type, values } = entry;
  const typeValid = ENTITLEMENT_TYPES.includes(type as EntitlementType);
  if (!typeValid) add(`${at}.type`, `must be one of ${ENTITLEMENT_TYPES.join(', ')} (got ${quoted(type)})`);
  if (!isText(entry.description)) add(`${at}.description`, 'must be a non-empty string');
  if (values !== undefined) {
    if (!Array.isArray(values) || !values.every(isText)) add(`${at}.values`, 'must be an array of strings');
    else checkList(values, `${at}.values`, add);
  }
  if (type === 'enum' && (!Array.isArray(values) || values.length === 0)) add(`${at}.values`, 'must list the allowed values of an "enum"');
  if (entry.default !== undefined && typeValid) {
    const problem = defaultProblem(type as EntitlementType, entry.default, Array.isArray(values) ? values : undefined);
    if (problem) add(`${at}.default`, `${problem} (got ${quoted(entry.default)})`);
  }
}

function defaultProblem(type: EntitlementType, value: unknown, values: unknown[] | undefined): string | undefined {
  const wrongType = `does not fit type ${quoted(type)}`;
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : wrongType;
    case 'integer':
      return Number.isSafeInteger(value) ? undefined : wrongType;
    case 'decimal':
      return typeof value === 'string' && SIGNED_DECIMAL.test(value) ? undefined : `${wrongType}: a decimal string such as "0.5"`;
    case 'string':
      return typeof value === 'string' ? undefined : wrongType;
    case 'string[]':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return wrongType;
      return values && !value.every((v) => values.includes(v)) ? `names a value outside values ${quoted(values)}` : undefined;
    case 'enum':
      return typeof value === 'string' && values?.includes(value) ? undefined : `must be one of values ${quoted(values ?? [])}`;
  }
}
