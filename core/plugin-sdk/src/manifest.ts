/** A JSON Schema (draft 2020-12 subset) as plain data; the host validates options with it. */
export type JsonSchema = {
  type?: 'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'null' | Array<'object' | 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'null'>;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: Array<string | number | boolean | null>;
  const?: string | number | boolean | null;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  description?: string;
  examples?: unknown[];
  /** marks a secret (admin password, token): never logged, masked in listings */
  writeOnly?: boolean;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
};

export type ServiceMode = 'shared' | 'dedicated';

export type MeterAggregation = 'sum' | 'count' | 'max' | 'unique_count' | 'latest' | 'time_weighted';

/** A usage meter a plugin reports. Keys are `'<pluginId>.<name>'` (e.g. `ollama.tokens.prompt`). */
export interface MeterDefinition {
  key: string;
  /** singular unit of one quantity: 'token', 'second', 'query', 'byte' */
  unit: string;
  aggregation: MeterAggregation;
  description: string;
  /** properties usage can be grouped and priced by, e.g. ['model', 'tier'] */
  dimensions?: string[];
  /** required for unique_count: the property whose distinct values are counted */
  valueProperty?: string;
}

/** A price the plugin suggests for one of its meters; the operator's catalog decides. */
export interface PriceSuggestion {
  meter: string;
  /** ISO 4217 */
  currency: string;
  /** decimal string, the price of `perQuantity` units: '0.10' per '1000' queries */
  unitPrice: string;
  /** decimal string, default '1' */
  perQuantity?: string;
  /** 'per_unit' is pro rata; 'package' bills every started block */
  model: 'per_unit' | 'package';
  /** decimal string: quantity included before prices apply */
  includedQuantity?: string;
  /** only usage with these dimension values, e.g. { tier: 'pro' } */
  dimensions?: Record<string, string>;
  description: string;
}

export type EntitlementType = 'boolean' | 'integer' | 'decimal' | 'string' | 'string[]' | 'enum';

/**
 * A typed setting a plan or pack may set for this service, e.g. `ollama.modelTiers`
 * (string[]) or `searxng.monthlyQueryLimit` (integer). Keys are `'<pluginId>.<name>'`.
 */
export interface EntitlementKeyDefinition {
  key: string;
  type: EntitlementType;
  description: string;
  /** for type 'enum' (and allowed items of 'string[]') */
  values?: string[];
  /** used when no plan sets it; must fit `type` (a 'decimal' as a string, e.g. '0.5') */
  default?: boolean | number | string | string[];
  /**
   * (since SDK 1.2) the core keeps a monthly quota in step with this entitlement: its value
   * (type 'integer' or 'decimal') becomes the tenant's `limit` for `meter`, one of the plugin's
   * own meters; no value means no quota from this entitlement.
   */
  quota?: { meter: string; limit: 'hard' | 'soft' };
}

export type EntitlementValue = boolean | number | string | string[];
export type Entitlements = Record<string, EntitlementValue>;

/** Everything the host needs to know about a plugin before running any of its code. */
export interface ServicePluginManifest {
  /** kebab-case; equals the folder `plugins/<id>` and the package `@werkbank/plugin-<id>` */
  id: string;
  /** the plugin's own semver */
  version: string;
  /** semver range of @werkbank/plugin-sdk it works with, e.g. '^1.0.0' */
  sdkCompatibility: string;
  displayName: string;
  description: string;
  /**
   * the operator's configuration (URLs, admin credentials): `type: 'object'`, checked in ajv strict
   * mode; formats uri, email, hostname, uuid, date-time; mark secrets `writeOnly`. `required`
   * decides `not_configured`
   */
  optionsSchema: JsonSchema;
  /** per-instance options a tenant may pass with POST /v1/tenants/:id/services */
  instanceOptionsSchema?: JsonSchema;
  modes: ServiceMode[];
  meters: MeterDefinition[];
  suggestedPrices?: PriceSuggestion[];
  entitlementKeys?: EntitlementKeyDefinition[];
}
