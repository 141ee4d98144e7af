import type { TenancyPrincipal } from '@werkbank/tenancy';
import { RememberedZones } from './usage.handlers';

const user = (id: string): TenancyPrincipal => ({ kind: 'user', id, userId: id, email: `${id}@example.test`, scopes: ['*'], grants: [] });
const key = (id: string): TenancyPrincipal => ({ kind: 'api_key', id, tenantId: 't', scopes: ['usage:read'], grants: [] });

describe('RememberedZones', () => {
  it('remembers per caller and tenant', () => {
    const zones = new RememberedZones();
    zones.remember(user('u1'), 't1', 'Europe/Berlin');
    expect(zones.get(user('u1'), 't1')).toBe('Europe/Berlin');
    expect(zones.get(user('u2'), 't1')).toBeUndefined();
    expect(zones.get(user('u1'), 't2')).toBeUndefined();
    expect(zones.get(key('u1'), 't1')).toBeUndefined(); // an API key with the same id is another caller
    zones.remember(user('u1'), 't1', 'America/New_York');
    expect(zones.get(user('u1'), 't1')).toBe('America/New_York');
  });

  it('forgets the pair asked about longest ago when full', () => {
    const zones = new RememberedZones(2);
    zones.remember(user('u'), 'a', 'UTC');
    zones.remember(user('u'), 'b', 'UTC');
    zones.remember(user('u'), 'a', 'UTC'); // asked again: now the newest
    zones.remember(user('u'), 'c', 'UTC');
    expect([zones.get(user('u'), 'a'), zones.get(user('u'), 'b'), zones.get(user('u'), 'c')]).toEqual(['UTC', undefined, 'UTC']);
  });
});
