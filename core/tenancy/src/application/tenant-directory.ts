import { Injectable } from '@nestjs/common';
import { Tx } from '@werkbank/kernel';
import type { Permission } from '../domain/roles';
import { TenantRepository, likePrefix } from '../infrastructure/persistence/tenancy.repositories';
import { entityManagerOf } from '@werkbank/kernel';
import type { TenancyPrincipal } from './access';
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

/**
 * The tenancy context's public read side for other contexts: visibility checks with the
 * same 404/403 rules as tenancy's own routes, tenant summaries and subtrees.
 */
@Injectable()
export class TenantDirectory {
  constructor(private readonly tenants: TenantRepository, private readonly access: TenantAccess) {}

  /** 404 `tenant.not_found` when invisible, 403 without the permission, 409 `tenant.not_active` with `active` when it or an ancestor is not active. */
  async requireAccess(tx: Tx, principal: TenancyPrincipal, tenantId: string, permission: Permission, options: { active?: boolean } = {}): Promise<TenantSummary> {
    const tenant = await this.access.require(tx, principal, tenantId, permission);
    if (options.active) await this.access.requireActive(tx, tenant);
    return { id: tenant.id, name: tenant.name, status: tenant.status, slug: tenantSlug(tenant.id), timeZone: tenant.timeZone };
  }

  async get(tx: Tx, tenantId: string): Promise<TenantSummary | null> {
    const tenant = await this.tenants.findById(tx, tenantId);
    return tenant ? { id: tenant.id, name: tenant.name, status: tenant.status, slug: tenantSlug(tenant.id), timeZone: tenant.timeZone } : null;
  }

  /** The tenant and all tenants below it. */
  async subtreeIds(tx: Tx, tenantId: string): Promise<string[]> {
    const tenant = await this.tenants.findById(tx, tenantId);
    if (!tenant) return [];
    const rows: Array<{ id: string }> = await entityManagerOf(tx).query(`SELECT id FROM tenants WHERE path LIKE $1`, [likePrefix(tenant.path)]);
    return rows.map((r) => r.id);
  }

  /** Whether the tenant and all its ancestors are active. */
  async isActive(tx: Tx, tenantId: string): Promise<boolean> {
    const tenant = await this.tenants.findById(tx, tenantId);
    return !!tenant && !(await this.tenants.blockedAncestor(tx, tenant.path));
  }
}
