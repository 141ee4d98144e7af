import type { ServicePluginManifest } from '@werkbank/plugin-sdk';
import { defaultEntitlements, manifestProblems } from '../contract/manifest-checks';

const valid: ServicePluginManifest = {
  id: 'my-service',
  version: '0.1.0',
  sdkCompatibility: '^1.0.0',
  displayName: 'My Service',
  description: 'A service',
  optionsSchema: { type: 'object', required: ['baseUrl'], properties: { baseUrl: { type: 'string' } } },
  modes: ['shared', 'dedicated'],
  meters: [
    { key: 'my-service.requests', unit: 'request', aggregation: 'sum', description: 'requests', dimensions: ['tier'] },
    { key: 'my-service.users.active', unit: 'user', aggregation: 'unique_count', valueProperty: 'userId', description: 'active users' },
  ],
  suggestedPrices: [{ meter: 'my-service.requests', currency: 'EUR', unitPrice: '0.10', perQuantity: '1000', model: 'package', dimensions: { tier: 'pro' }, description: 'pro requests' }],
  entitlementKeys: [
    { key: 'my-service.monthlyRequestLimit', type: 'integer', default: 1000, description: 'limit' },
    { key: 'my-service.tier', type: 'enum', values: ['free', 'pro'], default: 'free', description: 'tier' },
    { key: 'my-service.models', type: 'string[]', values: ['a', 'b'], default: ['a'], description: 'models' },
    { key: 'my-service.share', type: 'decimal', default: '0.5', description: 'share' },
  ],
};

const problems = (patch: Partial<ServicePluginManifest>) => manifestProblems({ ...valid, ...patch }).map((p) => `${p.area}: ${p.message}`);

describe('manifestProblems', () => {
  it('finds nothing wrong with a valid manifest', () => {
    expect(manifestProblems(valid)).toEqual([]);
  });

  it('rejects an id that is not kebab-case and a version that is not semver', () => {
    expect(problems({ id: 'My_Service', version: '1.0' })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^identity: id "My_Service" is not kebab-case/), 'identity: version "1.0" is not a semantic version']),
    );
  });

  it('rejects an sdkCompatibility range that is invalid or does not cover the current SDK', () => {
    expect(problems({ sdkCompatibility: 'whatever' })).toEqual(['sdkCompatibility: sdkCompatibility "whatever" is not a semver range']);
    expect(problems({ sdkCompatibility: '^2.0.0' })).toEqual(["sdkCompatibility: sdkCompatibility '^2.0.0' does not cover the current @werkbank/plugin-sdk 1.0.0"]);
    expect(problems({ sdkCompatibility: '>=1.0.0 <3' })).toEqual([]);
  });

  it('rejects options schemas that are not objects or require undeclared properties', () => {
    expect(problems({ optionsSchema: { type: 'string' } })).toEqual(["options: optionsSchema must be an object schema (type: 'object')"]);
    expect(problems({ optionsSchema: { type: 'object', required: ['token'] } })).toEqual(["options: optionsSchema: required property 'token' is not declared in properties"]);
  });

  it('rejects an empty or unknown mode list', () => {
    expect(problems({ modes: [] })).toEqual(['modes: modes is empty: declare at least one of shared, dedicated']);
    expect(problems({ modes: ['shared', 'shared'] })).toEqual(['modes: modes lists a mode twice']);
  });

  it("rejects meters not keyed '<id>.<name>', declared twice, or with an unknown aggregation", () => {
    const meter = valid.meters[0];
    expect(problems({ meters: [{ ...meter, key: 'requests' }] })).toContain(`meters: meter "requests": key must be 'my-service.<name>'`);
    expect(problems({ meters: [meter, meter] })).toContain('meters: meter "my-service.requests": declared twice');
    expect(problems({ meters: [{ ...meter, aggregation: 'avg' as never }] })).toEqual([expect.stringMatching(/^meters: meter "my-service.requests": aggregation "avg" is not one of sum, count/)]);
    expect(problems({ meters: [{ ...valid.meters[1], valueProperty: undefined }], suggestedPrices: [] })).toEqual(['meters: meter "my-service.users.active": unique_count needs a valueProperty']);
  });

  it('rejects prices for undeclared meters or with prices that are not decimal strings', () => {
    const price = valid.suggestedPrices![0];
    expect(problems({ suggestedPrices: [{ ...price, meter: 'my-service.tokens', dimensions: undefined }] })).toEqual(['prices: suggestedPrices[0] (my-service.tokens): meter is not declared in meters']);
    expect(problems({ suggestedPrices: [{ ...price, unitPrice: 0.1 as never }] })).toEqual(['prices: suggestedPrices[0] (my-service.requests): unitPrice 0.1 is not a decimal string']);
    expect(problems({ suggestedPrices: [{ ...price, unitPrice: '1e-1', currency: 'eur' }] })).toHaveLength(2);
    expect(problems({ suggestedPrices: [{ ...price, dimensions: { model: 'x' } }] })).toEqual(["prices: suggestedPrices[0] (my-service.requests): dimension 'model' is not a dimension of the meter"]);
  });

  it("rejects entitlements not keyed '<id>.<name>', with an unknown type, or a default of the wrong type", () => {
    const [limit, tier] = valid.entitlementKeys!;
    expect(problems({ entitlementKeys: [{ ...limit, key: 'other.limit' }] })).toEqual([`entitlements: entitlement "other.limit": key must be 'my-service.<name>'`]);
    expect(problems({ entitlementKeys: [{ ...limit, type: 'number' as never }] })).toEqual([expect.stringMatching(/type "number" is not one of/)]);
    expect(problems({ entitlementKeys: [{ ...limit, default: '1000' }] })).toEqual(['entitlements: entitlement "my-service.monthlyRequestLimit": default "1000" is not an integer']);
    expect(problems({ entitlementKeys: [{ ...tier, default: 'gold' }] })).toEqual(['entitlements: entitlement "my-service.tier": default "gold" is not one of ["free","pro"]']);
  });
});

describe('defaultEntitlements', () => {
  it('maps every key with a default to that default', () => {
    expect(defaultEntitlements(valid)).toEqual({ 'my-service.monthlyRequestLimit': 1000, 'my-service.tier': 'free', 'my-service.models': ['a'], 'my-service.share': '0.5' });
  });
});
