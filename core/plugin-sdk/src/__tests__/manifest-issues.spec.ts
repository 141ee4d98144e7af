import type { ServicePluginManifest } from '../manifest';
import { manifestIssues } from '../manifest-issues';

const valid: ServicePluginManifest = {
  id: 'web-search',
  version: '0.1.0',
  sdkCompatibility: '^1.0.0',
  displayName: 'Web Search',
  description: 'Private meta search per tenant.',
  optionsSchema: { type: 'object', required: ['baseUrl'], properties: { baseUrl: { type: 'string', format: 'uri' }, adminToken: { type: 'string', writeOnly: true } } },
  instanceOptionsSchema: { type: 'object', properties: {} },
  modes: ['shared', 'dedicated'],
  meters: [
    { key: 'web-search.queries', unit: 'query', aggregation: 'sum', description: 'Search queries', dimensions: ['tier', 'engine'] },
    { key: 'web-search.users.active', unit: 'user', aggregation: 'unique_count', valueProperty: 'userId', description: 'Active users' },
  ],
  suggestedPrices: [
    { meter: 'web-search.queries', currency: 'EUR', unitPrice: '0.10', perQuantity: '1000', includedQuantity: '500', model: 'package', dimensions: { tier: 'pro' }, description: 'per started 1000 pro queries' },
  ],
  entitlementKeys: [
    { key: 'web-search.enabled', type: 'boolean', default: true, description: 'on' },
    { key: 'web-search.monthlyQueryLimit', type: 'integer', default: 10000, description: 'Queries a month' },
    { key: 'web-search.share', type: 'decimal', default: '-0.5', description: 'share' },
    { key: 'web-search.region', type: 'string', default: 'eu', description: 'region' },
    { key: 'web-search.engines', type: 'string[]', values: ['a', 'b'], default: ['a'], description: 'engines' },
    { key: 'web-search.tags', type: 'string[]', default: ['anything'], description: 'tags' },
    { key: 'web-search.tier', type: 'enum', values: ['free', 'pro'], default: 'free', description: 'tier' },
  ],
};

type Patch = Record<string, unknown>;
const check = (patch: Patch) => manifestIssues({ ...valid, ...patch });
const fields = (patch: Patch) => check(patch).map((i) => i.field);
const meter = (patch: Patch) => ({ ...valid.meters[0], ...patch });
const price = (patch: Patch) => ({ ...valid.suggestedPrices![0], ...patch });
const entitlement = (patch: Patch) => ({ key: 'web-search.x', type: 'string', description: 'x', ...patch });

describe('manifestIssues', () => {
  it('finds nothing wrong with a valid manifest (optional parts left out too)', () => {
    expect(manifestIssues(valid)).toEqual([]);
    const { suggestedPrices: _p, entitlementKeys: _e, instanceOptionsSchema: _i, ...minimal } = valid;
    expect(manifestIssues({ ...minimal, meters: [], optionsSchema: { type: 'object' } })).toEqual([]);
  });

  it.each([undefined, null, 'web-search', [valid]])('reports a manifest that is not an object (%p) instead of throwing', (value) => {
    expect(manifestIssues(value)).toEqual([{ field: 'manifest', problem: 'is missing or not an object' }]);
  });

  it('does not throw on garbage in any field', () => {
    const garbage = [null, 1, 'x', [null], [1], {}, [{}], { a: null }];
    for (const value of garbage) {
      for (const key of Object.keys(valid)) expect(() => manifestIssues({ ...valid, [key]: value })).not.toThrow();
    }
  });

  describe('identity', () => {
    it.each(['Web-Search', 'web_search', '1web', 'web-', 'web--search', '', 42])('refuses the id %p', (id) => {
      expect(check({ id })).toContainEqual({ field: 'manifest.id', problem: expect.stringMatching(/^must be kebab-case: .*\(got .+\)$/) });
    });

    it.each(['1.0', 'v1.0.0x', '', 1])('refuses the version %p', (version) => {
      expect(fields({ version })).toEqual(['manifest.version']);
    });

    it.each(['one point oh', '', '  ', '^1.0.0 ||| x', 1])('refuses the sdkCompatibility %p', (sdkCompatibility) => {
      expect(fields({ sdkCompatibility })).toEqual(['manifest.sdkCompatibility']);
    });

    it('accepts any valid range, whether or not it includes this SDK (the host and the contract suite check that)', () => {
      expect(fields({ sdkCompatibility: '^2.0.0' })).toEqual([]);
      expect(fields({ sdkCompatibility: '>=1.0.0 <3' })).toEqual([]);
    });

    it('requires a displayName and a description', () => {
      expect(check({ displayName: ' ', description: undefined })).toEqual([
        { field: 'manifest.displayName', problem: 'must be a non-empty string' },
        { field: 'manifest.description', problem: 'must be a non-empty string' },
      ]);
    });
  });

  describe('options schemas', () => {
    it.each([undefined, null, 'object', { type: 'string' }, { properties: {} }])('refuses the optionsSchema %p', (optionsSchema) => {
      expect(check({ optionsSchema })).toEqual([{ field: 'manifest.optionsSchema', problem: expect.stringContaining('must be a JSON Schema of type "object"') }]);
    });

    it('allows no instanceOptionsSchema, but refuses one that is not an object schema', () => {
      expect(fields({ instanceOptionsSchema: undefined })).toEqual([]);
      expect(fields({ instanceOptionsSchema: { type: 'array' } })).toEqual(['manifest.instanceOptionsSchema']);
    });

    it('requires properties to be a map and required to name declared properties', () => {
      expect(fields({ optionsSchema: { type: 'object', properties: [] } })).toEqual(['manifest.optionsSchema.properties']);
      expect(fields({ optionsSchema: { type: 'object', required: 'baseUrl', properties: { baseUrl: {} } } })).toEqual(['manifest.optionsSchema.required']);
      expect(check({ instanceOptionsSchema: { type: 'object', required: ['size', 'size', 'toString'], properties: { size: { type: 'integer' } } } })).toEqual([
        { field: 'manifest.instanceOptionsSchema.required[1]', problem: 'repeats "size"' },
        { field: 'manifest.instanceOptionsSchema.required[2]', problem: 'names "toString", which is not declared in properties' },
      ]);
    });

    it('does not judge keywords or formats (the host compiles the schema with Ajv)', () => {
      expect(fields({ optionsSchema: { type: 'object', properties: { ip: { type: 'string', format: 'ipv9' } }, requried: ['ip'] } })).toEqual([]);
    });
  });

  describe('modes', () => {
    it.each([undefined, [], 'shared'])('requires at least one mode (%p)', (modes) => {
      expect(check({ modes })).toEqual([{ field: 'manifest.modes', problem: 'must list at least one mode: "shared" and/or "dedicated"' }]);
    });

    it('refuses unknown and repeated modes', () => {
      expect(check({ modes: ['shared', 'cluster', 'shared'] })).toEqual([
        { field: 'manifest.modes[1]', problem: 'must be "shared" or "dedicated" (got "cluster")' },
        { field: 'manifest.modes[2]', problem: 'repeats "shared"' },
      ]);
    });
  });

  describe('meters', () => {
    const only = (meters: unknown[]) => fields({ meters, suggestedPrices: [] });

    it('requires an array, of objects', () => {
      expect(check({ meters: undefined, suggestedPrices: [] })).toEqual([{ field: 'manifest.meters', problem: expect.stringContaining('must be an array') }]);
      expect(only([null, 'web-search.x'])).toEqual(['manifest.meters[0]', 'manifest.meters[1]']);
    });

    it.each(['queries', 'other.queries', 'web-search.', 'web-search.a b', 'web-search.a..b', 7])("requires keys '<id>.<name>' (%p)", (key) => {
      expect(check({ meters: [meter({ key })], suggestedPrices: [] })).toEqual([{ field: 'manifest.meters[0].key', problem: expect.stringMatching(/^must be "web-search\.<name>" \(got .+\)$/) }]);
    });

    it('says "<id>." when the id itself is unusable', () => {
      expect(check({ id: 3, meters: [meter({})], suggestedPrices: [], entitlementKeys: [] })).toContainEqual({ field: 'manifest.meters[0].key', problem: 'must be "<id>.<name>" (got "web-search.queries")' });
    });

    it('refuses a key declared twice', () => {
      expect(check({ meters: [meter({}), meter({ unit: 'request' })] })).toEqual([{ field: 'manifest.meters[1].key', problem: '"web-search.queries" is declared twice' }]);
    });

    it('requires a unit, a known aggregation and a description', () => {
      expect(only([meter({ unit: '', aggregation: 'median', description: undefined })])).toEqual(['manifest.meters[0].unit', 'manifest.meters[0].aggregation', 'manifest.meters[0].description']);
      expect(check({ meters: [meter({ aggregation: 'avg' })] })[0].problem).toBe('must be one of sum, count, max, unique_count, latest, time_weighted (got "avg")');
    });

    it('requires dimensions to be distinct property names', () => {
      expect(only([meter({ dimensions: 'tier' })])).toEqual(['manifest.meters[0].dimensions']);
      expect(only([meter({ dimensions: ['tier', ''] })])).toEqual(['manifest.meters[0].dimensions']);
      expect(check({ meters: [meter({ dimensions: ['tier', 'tier'] })] })).toEqual([{ field: 'manifest.meters[0].dimensions[1]', problem: 'repeats "tier"' }]);
    });

    it('requires valueProperty for unique_count', () => {
      expect(check({ meters: [valid.meters[0], { ...valid.meters[1], valueProperty: ' ' }] })).toEqual([
        { field: 'manifest.meters[1].valueProperty', problem: 'is required for aggregation "unique_count": the property whose distinct values are counted' },
      ]);
    });
  });

  describe('suggested prices', () => {
    const prices = (...list: unknown[]) => fields({ suggestedPrices: list });

    it('requires an array, of objects', () => {
      expect(prices()).toEqual([]);
      expect(fields({ suggestedPrices: {} })).toEqual(['manifest.suggestedPrices']);
      expect(prices(null)).toEqual(['manifest.suggestedPrices[0]']);
    });

    it('requires a declared meter (a meter whose key is wrong does not count)', () => {
      expect(check({ suggestedPrices: [price({ meter: 'web-search.tokens', dimensions: undefined })] })).toEqual([
        { field: 'manifest.suggestedPrices[0].meter', problem: 'must name a meter declared in manifest.meters (got "web-search.tokens")' },
      ]);
      expect(fields({ meters: [meter({ key: 'queries' })], suggestedPrices: [price({ meter: 'queries', dimensions: undefined })] })).toEqual(['manifest.meters[0].key', 'manifest.suggestedPrices[0].meter']);
    });

    it.each(['eur', 'EURO', 978, undefined])('requires an ISO 4217 currency (%p)', (currency) => {
      expect(prices(price({ currency }))).toEqual(['manifest.suggestedPrices[0].currency']);
    });

    it.each([0.1, '1e-1', '-1', ' 1', '.5', '1.', undefined])('requires unitPrice as a decimal string (%p)', (unitPrice) => {
      expect(prices(price({ unitPrice }))).toEqual(['manifest.suggestedPrices[0].unitPrice']);
    });

    it.each(['0', '0.0', '-5', 1000])('requires a positive perQuantity (%p)', (perQuantity) => {
      expect(prices(price({ perQuantity }))).toEqual(['manifest.suggestedPrices[0].perQuantity']);
    });

    it('requires includedQuantity as a decimal string, and allows it and perQuantity to be left out', () => {
      expect(prices(price({ includedQuantity: 10 }))).toEqual(['manifest.suggestedPrices[0].includedQuantity']);
      expect(prices(price({ includedQuantity: '0', perQuantity: undefined }))).toEqual([]);
    });

    it('requires a known model and a description', () => {
      expect(prices(price({ model: 'tiered', description: '' }))).toEqual(['manifest.suggestedPrices[0].model', 'manifest.suggestedPrices[0].description']);
    });

    it('allows only string values for dimensions the meter declares', () => {
      expect(prices(price({ dimensions: { tier: 1 } }))).toEqual(['manifest.suggestedPrices[0].dimensions']);
      expect(prices(price({ dimensions: ['tier'] }))).toEqual(['manifest.suggestedPrices[0].dimensions']);
      expect(check({ suggestedPrices: [price({ dimensions: { tier: 'pro', model: 'x' } })] })).toEqual([
        { field: 'manifest.suggestedPrices[0].dimensions.model', problem: 'is not a dimension of meter "web-search.queries"' },
      ]);
    });
  });

  describe('entitlement keys', () => {
    const keys = (...list: unknown[]) => fields({ entitlementKeys: list });
    const problemOf = (patch: Patch) => check({ entitlementKeys: [entitlement(patch)] });

    it('requires an array, of objects', () => {
      expect(keys()).toEqual([]);
      expect(fields({ entitlementKeys: 'web-search.x' })).toEqual(['manifest.entitlementKeys']);
      expect(keys(null)).toEqual(['manifest.entitlementKeys[0]']);
    });

    it("requires keys '<id>.<name>', each once", () => {
      expect(keys(entitlement({ key: 'maxModels' }), entitlement({}), entitlement({}))).toEqual(['manifest.entitlementKeys[0].key', 'manifest.entitlementKeys[2].key']);
      expect(problemOf({ key: 'other.x' })).toEqual([{ field: 'manifest.entitlementKeys[0].key', problem: 'must be "web-search.<name>" (got "other.x")' }]);
    });

    it('requires a known type and a description', () => {
      expect(keys(entitlement({ type: 'number', description: '' }))).toEqual(['manifest.entitlementKeys[0].type', 'manifest.entitlementKeys[0].description']);
      expect(keys(entitlement({ type: 'number', default: 3 }))).toEqual(['manifest.entitlementKeys[0].type']); // the default is not judged against an unknown type
    });

    it('requires values to be distinct non-empty strings, and an enum to have some', () => {
      expect(keys(entitlement({ values: 'a' }))).toEqual(['manifest.entitlementKeys[0].values']);
      expect(keys(entitlement({ values: ['a', ''] }))).toEqual(['manifest.entitlementKeys[0].values']);
      expect(problemOf({ type: 'string[]', values: ['a', 'a'] })).toEqual([{ field: 'manifest.entitlementKeys[0].values[1]', problem: 'repeats "a"' }]);
      expect(problemOf({ type: 'enum' })).toEqual([{ field: 'manifest.entitlementKeys[0].values', problem: 'must list the allowed values of an "enum"' }]);
      expect(keys(entitlement({ type: 'enum', values: [] }))).toEqual(['manifest.entitlementKeys[0].values']);
    });

    it.each([
      ['boolean', 'true'],
      ['boolean', 1],
      ['integer', 'ten'],
      ['integer', 1.5],
      ['integer', 2 ** 53],
      ['decimal', 0.5],
      ['decimal', '1e3'],
      ['decimal', '0,5'],
      ['string', 5],
      ['string[]', 'a'],
      ['string[]', ['a', 1]],
    ])('refuses a %s default of %p', (type, value) => {
      expect(problemOf({ type, default: value })).toEqual([{ field: 'manifest.entitlementKeys[0].default', problem: expect.stringMatching(new RegExp(`^does not fit type "${type.replace('[]', '\\[\\]')}".* \\(got .+\\)$`)) }]);
    });

    it('asks for a decimal default as a string', () => {
      expect(problemOf({ type: 'decimal', default: 0.5 })[0].problem).toBe('does not fit type "decimal": a decimal string such as "0.5" (got 0.5)');
    });

    it('requires an enum default to be one of values, and string[] defaults to stay inside values', () => {
      expect(problemOf({ type: 'enum', values: ['free', 'pro'], default: 'gold' })).toEqual([{ field: 'manifest.entitlementKeys[0].default', problem: 'must be one of values ["free","pro"] (got "gold")' }]);
      expect(problemOf({ type: 'string[]', values: ['a', 'b'], default: ['a', 'c'] })).toEqual([
        { field: 'manifest.entitlementKeys[0].default', problem: 'names a value outside values ["a","b"] (got ["a","c"])' },
      ]);
      expect(fields({ entitlementKeys: [entitlement({ type: 'enum', default: 'free' })] })).toEqual(['manifest.entitlementKeys[0].values', 'manifest.entitlementKeys[0].default']);
    });
  });

  describe('quota entitlements (since 1.2.0)', () => {
    const quoted = (patch: Patch) => check({ entitlementKeys: [entitlement({ type: 'integer', quota: { meter: 'web-search.queries', limit: 'hard' }, ...patch })] });

    it('accepts a quota on one of the plugin\'s meters from an integer or decimal entitlement', () => {
      expect(quoted({})).toEqual([]);
      expect(quoted({ type: 'decimal', quota: { meter: 'web-search.queries', limit: 'soft' } })).toEqual([]);
    });

    it('requires the meter to be the plugin\'s own, the limit hard or soft, and a number type', () => {
      expect(quoted({ quota: { meter: 'other.queries', limit: 'hard' } })).toEqual([
        { field: 'manifest.entitlementKeys[0].quota.meter', problem: 'must be one of the plugin\'s meters (web-search.queries, web-search.users.active) (got "other.queries")' },
      ]);
      expect(quoted({ quota: { meter: 'web-search.queries', limit: 'maybe' } }).map((i) => i.field)).toEqual(['manifest.entitlementKeys[0].quota.limit']);
      expect(quoted({ type: 'string' })).toEqual([{ field: 'manifest.entitlementKeys[0].type', problem: 'must be "integer" or "decimal" for an entitlement with a quota (got "string")' }]);
      expect(quoted({ quota: 'web-search.queries' }).map((i) => i.field)).toEqual(['manifest.entitlementKeys[0].quota']);
    });
  });

  it('reports every issue at once, in manifest order', () => {
    const issues = manifestIssues({ ...valid, version: 'x', modes: [], meters: [meter({ unit: '' })], entitlementKeys: [entitlement({ default: 1 })] });
    expect(issues.map((i) => i.field)).toEqual(['manifest.version', 'manifest.modes', 'manifest.meters[0].unit', 'manifest.entitlementKeys[0].default']);
  });
});
