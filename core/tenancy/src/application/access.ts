import type { Principal } from '@werkbank/kernel';
import { Permission, Role, roleAllows, scopesAllow } from '../domain/roles';
import { isInSubtree } from '../domain/tenant';

/** A node of the tree the caller holds a role on (users) or belongs to (API keys: role null, scopes decide). */
export interface Grant {
  tenantId: string;
  path: string;
  role: Role | null;
}

export interface TenancyPrincipal extends Principal {
  grants: Grant[];
}

export function grantsCovering(principal: TenancyPrincipal, tenantPath: string): Grant[] {
  return principal.grants.filter((g) => isInSubtree(tenantPath, g.path));
}

export function canSee(principal: TenancyPrincipal, tenantPath: string): boolean {
  return grantsCovering(principal, tenantPath).length > 0;
}

export function can(principal: TenancyPrincipal, tenantPath: string, permission: Permission): boolean {
  return grantsCovering(principal, tenantPath).some((g) => (g.role ? roleAllows(g.role, permission) : scopesAllow(principal.scopes, permission)));
}

/** Prefixes of the subtrees where the caller holds `permission`, for list queries. */
export function pathsWith(principal: TenancyPrincipal, permission: Permission): string[] {
  return principal.grants
    .filter((g) => (g.role ? roleAllows(g.role, permission) : scopesAllow(principal.scopes, permission)))
    .map((g) => g.path);
}

/** The highest role the caller holds over this node (API keys count as tenant_admin). */
export function highestRank(principal: TenancyPrincipal, tenantPath: string, rank: Record<Role, number>): number {
  return Math.max(0, ...grantsCovering(principal, tenantPath).map((g) => (g.role ? rank[g.role] : rank.tenant_admin)));
}

/** A person holding `operator_admin` (a role that exists only on the operator, the root). */
export function isOperatorAdmin(principal: TenancyPrincipal): boolean {
  return principal.kind === 'user' && principal.grants.some((g) => g.role === 'operator_admin');
}
