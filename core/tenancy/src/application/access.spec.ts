import { ROLE_RANK } from '../domain/roles';
import { can, canSee, highestRank, pathsWith, TenancyPrincipal } from './access';

const user = (grants: TenancyPrincipal['grants']): TenancyPrincipal => ({ kind: 'user', id: 'u', userId: 'u', scopes: ['*'], grants });
const key = (scopes: string[], path: string): TenancyPrincipal => ({ kind: 'api_key', id: 'k', tenantId: 't', scopes, grants: [{ tenantId: 't', path, role: null }] });

describe('access rules', () => {
  const reseller = '/op/r1/';
  const customer = '/op/r1/c1/';
  const other = '/op/r2/c3/';

  it('a role covers its node and everything below it, nothing beside or above', () => {
    const admin = user([{ tenantId: 'r1', path: reseller, role: 'reseller_admin' }]);
    expect(canSee(admin, reseller)).toBe(true);
    expect(canSee(admin, customer)).toBe(true);
    expect(canSee(admin, other)).toBe(false);
    expect(canSee(admin, '/op/')).toBe(false);
  });

  it('a path prefix that is not an ancestor does not count (ids end at a slash)', () => {
    const admin = user([{ tenantId: 'r1', path: '/op/r1/', role: 'tenant_admin' }]);
    expect(canSee(admin, '/op/r10/')).toBe(false);
  });

  it('members read but do not write; admins do both', () => {
    const member = user([{ tenantId: 'c1', path: customer, role: 'tenant_member' }]);
    expect(can(member, customer, 'tenants:read')).toBe(true);
    expect(can(member, customer, 'tenants:write')).toBe(false);
    const admin = user([{ tenantId: 'c1', path: customer, role: 'tenant_admin' }]);
    expect(can(admin, customer, 'users:write')).toBe(true);
  });

  it('API keys are limited by their scopes; * is everything the tenant may do', () => {
    expect(can(key(['tenants:read'], customer), customer, 'tenants:read')).toBe(true);
    expect(can(key(['tenants:read'], customer), customer, 'tenants:write')).toBe(false);
    expect(can(key(['*'], customer), customer, 'api_keys:write')).toBe(true);
    expect(can(key(['*'], customer), other, 'tenants:read')).toBe(false);
  });

  it('lists the subtrees where a permission holds', () => {
    const p = user([
      { tenantId: 'c1', path: customer, role: 'tenant_member' },
      { tenantId: 'c3', path: other, role: 'tenant_admin' },
    ]);
    expect(pathsWith(p, 'tenants:read')).toEqual([customer, other]);
    expect(pathsWith(p, 'audit:read')).toEqual([other]);
  });

  it('ranks the strongest role over a node', () => {
    const p = user([
      { tenantId: 'op', path: '/op/', role: 'tenant_member' },
      { tenantId: 'r1', path: reseller, role: 'reseller_admin' },
    ]);
    expect(highestRank(p, customer, ROLE_RANK)).toBe(ROLE_RANK.reseller_admin);
    expect(highestRank(p, other, ROLE_RANK)).toBe(ROLE_RANK.tenant_member);
  });
});
