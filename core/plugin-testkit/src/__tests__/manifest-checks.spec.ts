import { SDK_VERSION, type ServicePluginManifest } from '@werkbank/plugin-sdk';
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
      expect.arrayContaining([
        expect.stringMatching(/^identity: manifest\.id must be kebab-case: .*\(got "My_Service"\)$/),
        'identity: manifest.version must be a semantic version such as 1.2.3 (got "1.0")',
      ]),
    );
    expect(problems({ displayName: ' ', description: '' })).toEqual(['identity: manifest.displayName must be a non-empty string', 'identity: manifest.description must be a non-empty string']);
  });

  it('rejects an sdkCompatibility range that is invalid or does not cover the current SDK', () => {
    expect(problems({ sdkCompatibility: 'whatever' })).toEqual(['sdkCompatibility: manifest.sdkCompatibility must be a semver range of the plugin SDK such as ^1.0.0 (got "whatever")']);
    expect(problems({ sdkCompatibility: '^2.0.0' })).toEqual([`sdkCompatibility: sdkCompatibility '^2.0.0' does not cover the current @werkbank/plugin-sdk ${SDK_VERSION}`]);
    expect(problems({ sdkCompatibility: '>=1.0.0 <3' })).toEqual([]);
  });

  it('rejects options schemas that are not objects or require undeclared properties', () => {
    expect(problems({ optionsSchema: { type: 'string' } })).toEqual(['options: manifest.optionsSchema must be a JSON Schema of type "object" (use { type: "object", properties: {} } for none)']);
    expect(problems({ optionsSchema: { type: 'object', required: ['token'] } })).toEqual(['options: manifest.optionsSchema.required[0] names "token", which is not declared in properties']);
    expect(problems({ instanceOptionsSchema: { type: 'array' } })).toEqual([expect.stringMatching(/^options: manifest\.instanceOptionsSchema must be a JSON Schema of type "object"/)]);
  });

  it('rejects an empty or unknown mode list', () => {
    expect(problems({ modes: [] })).toEqual(['modes: manifest.modes must list at least one mode: "shared" and/or "dedicated"']);
    expect(problems({ modes: ['shared', 'shared'] })).toEqual(['modes: manifest.modes[1] repeats "shared"']);
  });

  it("rejects meters not keyed '<id>.<name>', declared twice, or with an unknown aggregation", () => {
    const meter = valid.meters[0];
    expect(problems({ meters: [{ ...meter, key: 'requests' }] })).toContain('meters: manifest.meters[0].key must be "my-service.<name>" (got "requests")');
    expect(problems({ meters: [meter, meter] })).toContain('meters: manifest.meters[1].key "my-service.requests" is declared twice');
    expect(problems({ meters: [{ ...meter, aggregation: 'avg' as never }] })).toEqual([expect.stringMatching(/^meters: manifest\.meters\[0\]\.aggregation must be one of sum, count, .* \(got "avg"\)$/)]);
    expect(problems({ meters: [{ ...valid.meters[1], valueProperty: undefined }], suggestedPrices: [] })).toEqual([
      'meters: manifest.meters[0].valueProperty is required for aggregation "unique_count": the property whose distinct values are counted',
    ]);
  });

  it('rejects prices for undeclared meters or with prices that are not decimal strings', () => {
    const price = valid.suggestedPrices![0];
    expect(problems({ suggestedPrices: [{ ...price, meter: 'my-service.tokens', dimensions: undefined }] })).toEqual([
      'prices: manifest.suggestedPrices[0].meter must name a meter declared in manifest.meters (got "my-service.tokens")',
    ]);
    expect(problems({ suggestedPrices: [{ ...price, unitPrice: 0.1 as never }] })).toEqual(['prices: manifest.suggestedPrices[0].unitPrice must be a decimal string such as "0.10" (got 0.1)']);
    expect(problems({ suggestedPrices: [{ ...price, unitPrice: '1e-1', currency: 'eur' }] })).toHaveLength(2);
    expect(problems({ suggestedPrices: [{ ...price, dimensions: { model: 'x' } }] })).toEqual(['prices: manifest.suggestedPrices[0].dimensions.model is not a dimension of meter "my-service.requests"']);
  });

  it("rejects entitlements not keyed '<id>.<name>', with an unknown type, or a default of the wrong type", () => {
    const [limit, tier] = valid.entitlementKeys!;
    expect(problems({ entitlementKeys: [{ ...limit, key: 'other.limit' }] })).toEqual(['entitlements: manifest.entitlementKeys[0].key must be "my-service.<name>" (got "other.limit")']);
    expect(problems({ entitlementKeys: [{ ...limit, type: 'number' as never }] })).toEqual([expect.stringMatching(/^entitlements: manifest\.entitlementKeys\[0\]\.type must be one of .* \(got "number"\)$/)]);
    expect(problems({ entitlementKeys: [{ ...limit, default: '1000' }] })).toEqual(['entitlements: manifest.entitlementKeys[0].default does not fit type "integer" (got "1000")']);
    expect(problems({ entitlementKeys: [{ ...tier, default: 'gold' }] })).toEqual(['entitlements: manifest.entitlementKeys[0].default must be one of values ["free","pro"] (got "gold")']);
  });

  it('files every problem under one area, so each contract test reports only its own', () => {
    const areas = manifestProblems({ ...valid, id: 'Bad', sdkCompatibility: 'one point oh', optionsSchema: undefined as never, modes: [] }).map((p) => p.area);
    expect(new Set(areas)).toEqual(new Set(['identity', 'sdkCompatibility', 'options', 'modes', 'meters', 'prices', 'entitlements']));
  });
});

describe('defaultEntitlements', () => {
  it('maps every key with a default to that default', () => {
    expect(defaultEntitlements(valid)).toEqual({ 'my-service.monthlyRequestLimit': 1000, 'my-service.tier': 'free', 'my-service.models': ['a'], 'my-service.share': '0.5' });
  });
});
