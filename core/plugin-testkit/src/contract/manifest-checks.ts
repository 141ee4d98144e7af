import {
  PLUGIN_ID_PATTERN,
  SDK_VERSION,
  type EntitlementKeyDefinition,
  type JsonSchema,
  type MeterAggregation,
  type ServicePluginManifest,
} from '@werkbank/plugin-sdk';
import { satisfies as semverSatisfies, valid as semverValid, validRange as semverValidRange } from 'semver';

/** Which part of the manifest a problem is in; the contract suite has one test per area. */
export type ManifestArea = 'identity' | 'sdkCompatibility' | 'options' | 'modes' | 'meters' | 'prices' | 'entitlements';

export interface ManifestProblem {
  area: ManifestArea;
  message: string;
}

const AGGREGATIONS: readonly MeterAggregation[] = ['sum', 'count', 'max', 'unique_count', 'latest', 'time_weighted'];
const ENTITLEMENT_TYPES: readonly EntitlementKeyDefinition['type'][] = ['boolean', 'integer', 'decimal', 'string', 'string[]', 'enum'];
const MODES = ['shared', 'dedicated'];
/** A plain, non-negative decimal string: '10', '0.25' (no sign, exponent or spaces). */
export const DECIMAL_STRING = /^\d+(\.\d+)?$/;
// the same rules as the plugin host's manifest validation, so a plugin that passes here loads there
const NAME_AFTER_PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';

/** Everything wrong with a manifest, by area; empty when it is valid. */
export function manifestProblems(manifest: ServicePluginManifest): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const add = (area: ManifestArea, message: string) => problems.push({ area, message });
  const id = manifest.id;

  // identity
  if (typeof id !== 'string' || !PLUGIN_ID_PATTERN.test(id)) add('identity', `id ${JSON.stringify(id)} is not kebab-case (${PLUGIN_ID_PATTERN})`);
  if (typeof manifest.version !== 'string' || !semverValid(manifest.version)) add('identity', `version ${JSON.stringify(manifest.version)} is not a semantic version`);
  if (!nonEmpty(manifest.displayName)) add('identity', 'displayName is empty');
  if (!nonEmpty(manifest.description)) add('identity', 'description is empty');

  // sdkCompatibility
  const range = manifest.sdkCompatibility;
  if (typeof range !== 'string' || semverValidRange(range) === null) {
    add('sdkCompatibility', `sdkCompatibility ${JSON.stringify(range)} is not a semver range`);
  } else if (!semverSatisfies(SDK_VERSION, range)) {
    add('sdkCompatibility', `sdkCompatibility '${range}' does not cover the current @werkbank/plugin-sdk ${SDK_VERSION}`);
  }

  // options
  objectSchemaProblems(manifest.optionsSchema, 'optionsSchema').forEach((m) => add('options', m));
  if (manifest.instanceOptionsSchema !== undefined) objectSchemaProblems(manifest.instanceOptionsSchema, 'instanceOptionsSchema').forEach((m) => add('options', m));

  // modes
  if (!Array.isArray(manifest.modes) || manifest.modes.length === 0) add('modes', 'modes is empty: declare at least one of shared, dedicated');
  else {
    for (const mode of manifest.modes) if (!MODES.includes(mode)) add('modes', `mode ${JSON.stringify(mode)} is not one of ${MODES.join(', ')}`);
    if (new Set(manifest.modes).size !== manifest.modes.length) add('modes', 'modes lists a mode twice');
  }

  // meters
  const meters = new Map<string, { dimensions: string[] }>();
  if (!Array.isArray(manifest.meters)) add('meters', 'meters is not an array');
  for (const meter of Array.isArray(manifest.meters) ? manifest.meters : []) {
    const key = meter.key;
    const label = `meter ${JSON.stringify(key)}`;
    if (!prefixedKey(id, key)) add('meters', `${label}: key must be '${id}.<name>'`);
    if (meters.has(key)) add('meters', `${label}: declared twice`);
    meters.set(key, { dimensions: meter.dimensions ?? [] });
    if (!AGGREGATIONS.includes(meter.aggregation)) add('meters', `${label}: aggregation ${JSON.stringify(meter.aggregation)} is not one of ${AGGREGATIONS.join(', ')}`);
    if (!nonEmpty(meter.unit)) add('meters', `${label}: unit is empty`);
    if (!nonEmpty(meter.description)) add('meters', `${label}: description is empty`);
    if (meter.dimensions !== undefined && (!meter.dimensions.every(nonEmpty) || new Set(meter.dimensions).size !== meter.dimensions.length)) {
      add('meters', `${label}: dimensions must be distinct non-empty names`);
    }
    if (meter.aggregation === 'unique_count' && !nonEmpty(meter.valueProperty)) add('meters', `${label}: unique_count needs a valueProperty`);
  }

  // prices
  for (const [i, price] of (manifest.suggestedPrices ?? []).entries()) {
    const label = `suggestedPrices[${i}] (${price.meter})`;
    const meter = meters.get(price.meter);
    if (!meter) add('prices', `${label}: meter is not declared in meters`);
    if (typeof price.currency !== 'string' || !/^[A-Z]{3}$/.test(price.currency)) add('prices', `${label}: currency ${JSON.stringify(price.currency)} is not an ISO 4217 code`);
    if (!isDecimal(price.unitPrice)) add('prices', `${label}: unitPrice ${JSON.stringify(price.unitPrice)} is not a decimal string`);
    if (price.perQuantity !== undefined && (!isDecimal(price.perQuantity) || Number(price.perQuantity) === 0)) {
      add('prices', `${label}: perQuantity ${JSON.stringify(price.perQuantity)} is not a positive decimal string`);
    }
    if (price.includedQuantity !== undefined && !isDecimal(price.includedQuantity)) add('prices', `${label}: includedQuantity ${JSON.stringify(price.includedQuantity)} is not a decimal string`);
    if (price.model !== 'per_unit' && price.model !== 'package') add('prices', `${label}: model ${JSON.stringify(price.model)} is not per_unit or package`);
    if (!nonEmpty(price.description)) add('prices', `${label}: description is empty`);
    for (const dimension of Object.keys(price.dimensions ?? {})) {
      if (meter && !meter.dimensions.includes(dimension)) add('prices', `${label}: dimension '${dimension}' is not a dimension of the meter`);
    }
  }

  // entitlements
  const entitlementKeys = new Set<string>();
  for (const entitlement of manifest.entitlementKeys ?? []) {
    const label = `entitlement ${JSON.stringify(entitlement.key)}`;
    if (!prefixedKey(id, entitlement.key)) add('entitlements', `${label}: key must be '${id}.<name>'`);
    if (entitlementKeys.has(entitlement.key)) add('entitlements', `${label}: declared twice`);
    entitlementKeys.add(entitlement.key);
    if (!ENTITLEMENT_TYPES.includes(entitlement.type)) {
      add('entitlements', `${label}: type ${JSON.stringify(entitlement.type)} is not one of ${ENTITLEMENT_TYPES.join(', ')}`);
      continue;
    }
    if (!nonEmpty(entitlement.description)) add('entitlements', `${label}: description is empty`);
    if (entitlement.type === 'enum' && !(Array.isArray(entitlement.values) && entitlement.values.length > 0)) add('entitlements', `${label}: an enum needs values`);
    if (entitlement.values !== undefined && (!entitlement.values.every(nonEmpty) || new Set(entitlement.values).size !== entitlement.values.length)) {
      add('entitlements', `${label}: values must be distinct non-empty strings`);
    }
    if (entitlement.default !== undefined) {
      const wrong = defaultProblem(entitlement);
      if (wrong) add('entitlements', `${label}: default ${JSON.stringify(entitlement.default)} ${wrong}`);
    }
  }

  return problems;
}

function prefixedKey(id: string, key: unknown): boolean {
  return typeof key === 'string' && key.startsWith(`${id}.`) && NAME_AFTER_PREFIX.test(key.slice(id.length + 1));
}

function isDecimal(value: unknown): boolean {
  return typeof value === 'string' && DECIMAL_STRING.test(value);
}

function defaultProblem(entitlement: EntitlementKeyDefinition): string | undefined {
  const value = entitlement.default;
  const allowed = entitlement.values;
  switch (entitlement.type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'is not a boolean';
    case 'integer':
      return Number.isSafeInteger(value) ? undefined : 'is not an integer';
    case 'decimal':
      return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? undefined : 'is not a decimal string';
    case 'string':
      return typeof value === 'string' ? undefined : 'is not a string';
    case 'string[]':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return 'is not an array of strings';
      return allowed && !value.every((v) => allowed.includes(v)) ? `names a value outside ${JSON.stringify(allowed)}` : undefined;
    case 'enum':
      return typeof value === 'string' && (allowed ?? []).includes(value) ? undefined : `is not one of ${JSON.stringify(allowed ?? [])}`;
  }
}

function objectSchemaProblems(schema: JsonSchema | undefined, name: string): string[] {
  if (!schema || typeof schema !== 'object') return [`${name} is missing`];
  if (schema.type !== 'object') return [`${name} must be an object schema (type: 'object')`];
  const problems: string[] = [];
  const properties = schema.properties ?? {};
  for (const required of schema.required ?? []) {
    if (!(required in properties)) problems.push(`${name}: required property '${required}' is not declared in properties`);
  }
  return problems;
}

/** The declared defaults of every entitlement key that has one: what applies when no plan sets a value. */
export function defaultEntitlements(manifest: ServicePluginManifest): Record<string, boolean | number | string | string[]> {
  const entitlements: Record<string, boolean | number | string | string[]> = {};
  for (const entitlement of manifest.entitlementKeys ?? []) {
    if (entitlement.default !== undefined) entitlements[entitlement.key] = entitlement.default;
  }
  return entitlements;
}
