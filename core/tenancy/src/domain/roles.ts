/** Roles a membership gives a user on one node of the tenant tree, inherited by its subtree. */
export const ROLES = ['operator_admin', 'reseller_admin', 'tenant_admin', 'tenant_member', 'billing_viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Permissions, also the API-key scopes (`*` grants all of them). */
export const PERMISSIONS = [
  'tenants:read', 'tenants:write', 'users:read', 'users:write', 'api_keys:read', 'api_keys:write', 'audit:read',
  'services:read', 'services:write', 'usage:read', 'usage:write',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ADMIN: Permission[] = [...PERMISSIONS];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  operator_admin: ADMIN,
  reseller_admin: ADMIN,
  tenant_admin: ADMIN,
  tenant_member: ['tenants:read', 'services:read', 'usage:read'],
  billing_viewer: ['tenants:read', 'services:read', 'usage:read'],
};

/** Higher rank may grant lower or equal ranks. */
export const ROLE_RANK: Record<Role, number> = {
  operator_admin: 4, reseller_admin: 3, tenant_admin: 2, billing_viewer: 1, tenant_member: 1,
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/** API-key scopes: the permissions above, `*`, and `gateway:<pluginId>` for the metering gateway. */
export const SCOPE_PATTERN = new RegExp(`^(\\*|${PERMISSIONS.join('|')}|gateway:[a-z0-9][a-z0-9-]*)$`);

export function scopesAllow(scopes: readonly string[], permission: Permission): boolean {
  return scopes.includes('*') || scopes.includes(permission);
}
