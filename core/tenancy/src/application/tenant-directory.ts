import { Injectable } from '@nestjs/common';
import { Problems, Tx, UUID_PATTERN as UUID } from '@werkbank/kernel';
import type { Permission, Role } from '../domain/roles';
import { isInSubtree } from '../domain/tenant';
import { TenantRepository, likePrefix } from '../infrastructure/persistence/tenancy.repositories';
import { entityManagerOf } from '@werkbank/kernel';
import { can, type TenancyPrincipal } from './access';
import { TenantAccess } from './tenant-access';

/** What other contexts may know about a tenant. */
export interface TenantSummary {
  id: string;
  name: string;
  status: 'active' | 'suspended' | 'closed';
  /** a short, stable, DNS-safe name for resource names at services */
  slug: string;
  timeZone: string;
}

export function tenantSlug(id: string): string {
  return `t-${id.replace(/-/g, '').slice(-12)}`;
}

function summaryOf(tenant: Omit<TenantSummary, 'slug'>): TenantSummary {
  return { id: tenant.id, name: tenant.name, status: tenant.status, slug: tenantSlug(tenant.id), timeZone: tenant.timeZone };
}

/**
 * The tenancy context's public read side for other contexts: visibility checks with the
 * same 404/403 rules as tenancy's own routes, tenant summaries and subtrees.
 */
/** Paths kept by permittedIds; beyond this many the cache starts over. */
const MAX_CACHED_PATHS = 100_000;

@Injectable()
export class TenantDirectory {
  /**
   * Tenant id → materialized path, for the permission checks of bulk usage ingestion. Tenants are
   * never moved or deleted, so a path once read stays right; ids not found are not cached.
   */
  private readonly paths = new Map<string, string>();

  constructor(private readonly tenants: TenantRepository, private readonly access: TenantAccess) {}

  /** 404 `tenant.not_found` when invisible, 403 without the permission, 409 `tenant.not_active` with `active` when it or an ancestor is not active. */
  async requireAccess(tx: Tx, principal: TenancyPrincipal, tenantId: string, permission: Permission, options: { active?: boolean } = {}): Promise<TenantSummary> {
    const tenant = await this.access.requireRow(tx, principal, tenantId, permission);
    if (options.active) await this.access.requireActive(tx, tenant);
    return summaryOf(tenant);
  }

  async get(tx: Tx, tenantId: string): Promise<TenantSummary | null> {
    const tenant = await this.tenants.findById(tx, tenantId);
    return tenant ? summaryOf(tenant) : null;
  }

  /** The tenant and all tenants below it. */
  async subtreeIds(tx: Tx, tenantId: string): Promise<string[]> {
    const tenant = await this.tenants.findById(tx, tenantId);
    if (!tenant) return [];
    const rows: Array<{ id: string }> = await entityManagerOf(tx).query(`SELECT id FROM tenants WHERE path LIKE $1`, [likePrefix(tenant.path)]);
    return rows.map((r) => r.id);
  }

  /**
   * Like `requireAccess`, and the caller must also hold one of `roles` through a membership on a
   * proper ancestor of the tenant: it administers the tenant from above (API keys never do).
   */
  async requireAccessFromAbove(tx: Tx, principal: TenancyPrincipal, tenantId: string, permission: Permission, roles: readonly Role[]): Promise<TenantSummary> {
    const tenant = await this.access.requireRow(tx, principal, tenantId, permission);
    const above = principal.grants.some((g) => g.role !== null && roles.includes(g.role) && g.path !== tenant.path && isInSubtree(tenant.path, g.path));
    if (!above) throw Problems.forbidden('auth.forbidden', `Only ${roles.join(' or ')} above this tenant may do this.`);
    return summaryOf(tenant);
  }

  /**
   * Of `tenantIds`, those that exist and, with a principal, where it holds `permission`. One query
   * for any number of ids; ids that are not UUIDs are simply not in the result.
   */
  async permittedIds(tx: Tx, tenantIds: readonly string[], principal: TenancyPrincipal | null, permission: Permission): Promise<Set<string>> {
    const permitted = new Set<string>();
    const unknown: string[] = [];
    for (const given of new Set(tenantIds)) {
      if (!UUID.test(given)) continue;
      const id = given.toLowerCase();
      const path = this.paths.get(id);
      if (path === undefined) unknown.push(id);
      else if (principal === null || can(principal, path, permission)) permitted.add(id);
    }
    if (unknown.length > 0) {
      const rows: Array<{ id: string; path: string }> = await entityManagerOf(tx).query(`SELECT id, path FROM tenants WHERE id = ANY($1::uuid[])`, [unknown]);
      if (this.paths.size + rows.length > MAX_CACHED_PATHS) this.paths.clear();
      for (const r of rows) {
        this.paths.set(r.id, r.path);
        if (principal === null || can(principal, r.path, permission)) permitted.add(r.id);
      }
    }
    return permitted;
  }

  /** The tenant with its effective status: a suspended or closed ancestor makes it suspended or closed too. One query. */
  async getEffective(tx: Tx, tenantId: string): Promise<TenantSummary | null> {
    if (!UUID.test(tenantId)) return null;
    const rows: Array<{ id: string; name: string; status: TenantSummary['status']; time_zone: string; blocked: TenantSummary['status'] | null }> = await entityManagerOf(tx).query(
      `SELECT t.id, t.name, t.status, t.time_zone,
              (SELECT a.status FROM tenants a
                WHERE a.id = ANY(string_to_array(trim(both '/' from t.path), '/')::uuid[]) AND a.status <> 'active'
                ORDER BY (a.status = 'closed') DESC LIMIT 1) AS blocked
         FROM tenants t WHERE t.id = $1`,
      [tenantId],
    );
    const t = rows[0];
    return t ? summaryOf({ id: t.id, name: t.name, status: t.blocked ?? t.status, timeZone: t.time_zone }) : null;
  }

  /** Whether the tenant and all its ancestors are active. */
  async isActive(tx: Tx, tenantId: string): Promise<boolean> {
    const tenant = await this.tenants.findById(tx, tenantId);
    return !!tenant && !(await this.tenants.blockedAncestor(tx, tenant.path));
  }
}
