import type { ServicePluginManifest } from '@werkbank/plugin-sdk';
import { entitlementQuotas } from './entitlement-quotas';

const manifest = {
  id: 'metered',
  entitlementKeys: [
    { key: 'metered.monthly_requests', type: 'integer', description: 'requests a month', quota: { meter: 'metered.requests', limit: 'hard' } },
    { key: 'metered.warn_tokens', type: 'decimal', description: 'tokens before a warning', quota: { meter: 'metered.tokens', limit: 'soft' } },
    { key: 'metered.tier', type: 'enum', values: ['a', 'b'], description: 'not a quota' },
  ],
} as unknown as ServicePluginManifest;

describe('entitlementQuotas', () => {
  it('turns the quota entitlements the instance has into limits, and leaves other entitlements alone', () => {
    expect(entitlementQuotas(manifest, { 'metered.monthly_requests': 2, 'metered.warn_tokens': '1.5', 'metered.tier': 'a' })).toEqual([
      { meter: 'metered.requests', limit: 'hard', value: '2' },
      { meter: 'metered.tokens', limit: 'soft', value: '1.5' },
    ]);
  });

  it('without the earlier entitlements, an absent quota entitlement changes nothing', () => {
    expect(entitlementQuotas(manifest, { 'metered.monthly_requests': 2 })).toEqual([{ meter: 'metered.requests', limit: 'hard', value: '2' }]);
  });

  it('a quota entitlement that had a value before and has none now lifts its limit (value null)', () => {
    expect(entitlementQuotas(manifest, { 'metered.warn_tokens': '3' }, { 'metered.monthly_requests': 2, 'metered.warn_tokens': '1' })).toEqual([
      { meter: 'metered.requests', limit: 'hard', value: null },
      { meter: 'metered.tokens', limit: 'soft', value: '3' },
    ]);
    // never set before: nothing to lift
    expect(entitlementQuotas(manifest, {}, { 'metered.tier': 'b' })).toEqual([]);
  });
});
