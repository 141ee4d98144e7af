import { manifest } from '../__tests__/plugin-fixtures';
import { validateManifest } from './manifest.validator';

const fields = (value: unknown) => validateManifest(value).issues.map((i) => i.field);
const problemOf = (value: unknown, field: string) => validateManifest(value).issues.find((i) => i.field === field)?.problem;

describe('validateManifest', () => {
  it('accepts a complete manifest and compiles its options schema', () => {
    const check = validateManifest(manifest());
    expect(check.issues).toEqual([]);
    expect(check.optionsValidator).toEqual(expect.any(Function));
  });

  it.each(['Demo', 'demo_x', '1demo', 'demo-', 'de--mo', ''])('refuses the id %p (not kebab-case)', (id) => {
    expect(problemOf(manifest('demo', { id }), 'manifest.id')).toMatch(/must be kebab-case/);
  });

  it('refuses a version that is not semver and a range that is not a range', () => {
    expect(fields(manifest('demo', { version: '1.0', sdkCompatibility: 'one point oh' }))).toEqual(['manifest.version', 'manifest.sdkCompatibility']);
  });

  it('refuses an empty or unknown mode list', () => {
    expect(problemOf(manifest('demo', { modes: [] }), 'manifest.modes')).toMatch(/at least one mode/);
    expect(fields(manifest('demo', { modes: ['shared', 'cluster' as never] }))).toEqual(['manifest.modes[1]']);
  });

  it("requires meter keys '<id>.<name>', unique, with a valid aggregation", () => {
    const meters = [
      { key: 'other.requests', unit: 'request', aggregation: 'count' as const, description: 'x' },
      { key: 'demo.a', unit: 'request', aggregation: 'count' as const, description: 'x' },
      { key: 'demo.a', unit: 'request', aggregation: 'count' as const, description: 'x' },
      { key: 'demo.b', unit: 'request', aggregation: 'median' as never, description: 'x' },
      { key: 'demo.c', unit: 'user', aggregation: 'unique_count' as const, description: 'x' },
    ];
    const check = validateManifest(manifest('demo', { meters, suggestedPrices: [], entitlementKeys: [] }));
    expect(check.issues).toEqual([
      { field: 'manifest.meters[0].key', problem: 'must be "demo.<name>" (got "other.requests")' },
      { field: 'manifest.meters[2].key', problem: '"demo.a" is declared twice' },
      { field: 'manifest.meters[3].aggregation', problem: expect.stringContaining('must be one of sum, count, max') },
      { field: 'manifest.meters[4].valueProperty', problem: expect.stringContaining('required for aggregation "unique_count"') },
    ]);
  });

  it('lets suggested prices name only declared meters and dimensions, with decimal strings', () => {
    const check = validateManifest(manifest('demo', {
      suggestedPrices: [
        { meter: 'demo.nope', currency: 'EUR', unitPrice: '1', model: 'per_unit', description: 'x' },
        { meter: 'demo.tokens', currency: 'euro', unitPrice: 0.2 as never, perQuantity: '0', model: 'per_unit', dimensions: { colour: 'red' }, description: 'x' },
      ],
    }));
    expect(check.issues.map((i) => i.field)).toEqual([
      'manifest.suggestedPrices[0].meter',
      'manifest.suggestedPrices[1].currency',
      'manifest.suggestedPrices[1].unitPrice',
      'manifest.suggestedPrices[1].perQuantity',
      'manifest.suggestedPrices[1].dimensions.colour',
    ]);
  });

  it("requires entitlement keys '<id>.<name>', unique, typed, with a fitting default", () => {
    const check = validateManifest(manifest('demo', {
      entitlementKeys: [
        { key: 'maxModels', type: 'integer', description: 'x' },
        { key: 'demo.tier', type: 'enum', description: 'x' },
        { key: 'demo.limit', type: 'integer', description: 'x', default: 'ten' },
        { key: 'demo.limit', type: 'integer', description: 'x' },
      ],
    }));
    expect(check.issues.map((i) => i.field)).toEqual([
      'manifest.entitlementKeys[0].key',
      'manifest.entitlementKeys[1].values',
      'manifest.entitlementKeys[2].default',
      'manifest.entitlementKeys[3].key',
    ]);
  });

  it('refuses an options schema that is not an object schema or does not compile (typos are not ignored)', () => {
    expect(problemOf(manifest('demo', { optionsSchema: { type: 'string' } }), 'manifest.optionsSchema')).toMatch(/of type "object"/);
    const typo = { type: 'object', properties: { url: { type: 'string' } }, requried: ['url'] } as never;
    expect(problemOf(manifest('demo', { optionsSchema: typo }), 'manifest.optionsSchema')).toMatch(/not a valid JSON Schema: .*unknown keyword: "requried"/);
    const unknownFormat = { type: 'object', properties: { ip: { type: 'string', format: 'ipv9' } } } as never;
    expect(problemOf(manifest('demo', { optionsSchema: unknownFormat }), 'manifest.optionsSchema')).toMatch(/unknown format "ipv9"/);
  });

  it('reports a missing manifest instead of throwing', () => {
    expect(fields(undefined)).toEqual(['manifest']);
  });
});
