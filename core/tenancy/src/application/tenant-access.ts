import { Injectable } from '@nestjs/common';
import { ProblemException, Problems, Tx } from '@werkbank/kernel';
import type { Permission } from '../domain/roles';
import type { TenantEntity } from '../infrastructure/persistence/tenancy.entities';
import { TenantAccessRow, TenantRepository } from '../infrastructure/persistence/tenancy.repositories';
import { can, canSee, TenancyPrincipal } from './access';

export const tenantNotFound = () => Problems.notFound('tenant.not_found', 'Tenant');

/**
 * The one place that decides whether a caller may touch a tenant: invisible tenants answer
 * 404 (never revealing that they exist), visible ones without the permission 403.
 */
@Injectable()
export class TenantAccess {
  constructor(private readonly tenants: TenantRepository) {}

  async require(tx: Tx, principal: TenancyPrincipal, tenantId: string, permission: Permission, options: { lock?: boolean } = {}): Promise<TenantEntity> {
    const tenant = options.lock ? await this.tenants.lockById(tx, tenantId) : await this.tenants.findById(tx, tenantId);
    return this.check(principal, tenant, permission);
  }

  /** Like `require`, reading only the access row (reads that need no more of the tenant). */
  async requireRow(tx: Tx, principal: TenancyPrincipal, tenantId: string, permission: Permission): Promise<TenantAccessRow> {
    return this.check(principal, await this.tenants.findAccessRow(tx, tenantId), permission);
  }

  private check<T extends Pick<TenantEntity, 'path'>>(principal: TenancyPrincipal, tenant: T | null, permission: Permission): T {
    if (!tenant || !canSee(principal, tenant.path)) throw tenantNotFound();
    if (!can(principal, tenant.path, permission)) throw Problems.forbidden();
    return tenant;
  }

  /** Writes below a suspended or closed tenant are refused. */
  async requireActive(tx: Tx, tenant: Pick<TenantEntity, 'id' | 'path'>): Promise<void> {
    const blocked = await this.tenants.blockedAncestor(tx, tenant.path);
    if (blocked) {
      throw new ProblemException(409, 'tenant.not_active', 'Tenant not active',
        blocked.id === tenant.id ? `This tenant is ${blocked.status}; resume it first.` : `A parent tenant is ${blocked.status}; resume it first.`);
    }
  }
}
