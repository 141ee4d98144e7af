import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, OutboxWriter, ProblemException, Problems, TransactionRunner } from '@werkbank/kernel';
import { ApiKeyRepository, TenantRepository } from '../../infrastructure/persistence/tenancy.repositories';
import { ApiKeyCache } from '../api-key-cache';
import { TenantAccess } from '../tenant-access';
import { toTenantView, TenantView } from '../views';
import { ChangeTenantStatusCommand } from './change-tenant-status.command';

const notAllowed = (detail: string) => new ProblemException(409, 'tenant.invalid_transition', 'Status change not possible', detail);

@CommandHandler(ChangeTenantStatusCommand)
export class ChangeTenantStatusHandler implements ICommandHandler<ChangeTenantStatusCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly tenants: TenantRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly access: TenantAccess,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditWriter,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly keyCache: ApiKeyCache,
  ) {}

  async execute(command: ChangeTenantStatusCommand): Promise<TenantView> {
    try {
      return await this.change(command);
    } finally {
      // API keys of the subtree are refused (or accepted again) at once in this process, after the commit
      this.keyCache.clear();
    }
  }

  private change({ principal, tenantId, change, reason }: ChangeTenantStatusCommand): Promise<TenantView> {
    return this.tx.run(async (tx) => {
      const tenant = await this.access.require(tx, principal, tenantId, 'tenants:write', { lock: true });
      // A tenant's status is decided from above: nobody suspends or closes the node their own access comes from.
      if (principal.grants.some((g) => g.tenantId === tenant.id) || tenant.kind === 'operator') {
        throw Problems.forbidden('tenant.own_status', 'The status of a tenant is changed by an administrator of its parent.');
      }
      const now = this.clock.now();
      if (change === 'suspend') {
        if (tenant.status !== 'active') throw notAllowed(`The tenant is ${tenant.status}; only active tenants can be suspended.`);
        Object.assign(tenant, { status: 'suspended', suspendedAt: now, suspensionReason: reason ?? null });
      } else if (change === 'resume') {
        if (tenant.status !== 'suspended') throw notAllowed(`The tenant is ${tenant.status}; only suspended tenants can be resumed.`);
        Object.assign(tenant, { status: 'active', suspendedAt: null, suspensionReason: null });
      } else {
        if (tenant.status === 'closed') throw notAllowed('The tenant is already closed.');
        if ((await this.tenants.countOpenChildren(tx, tenant.id)) > 0) {
          throw new ProblemException(409, 'tenant.has_open_children', 'Tenant has open sub-tenants', 'Close its sub-tenants first.');
        }
        Object.assign(tenant, { status: 'closed', closedAt: now });
        await this.apiKeys.revokeAllOfTenant(tx, tenant.id, now);
      }
      tenant.updatedAt = now;
      await this.tenants.save(tx, tenant);
      const past = { suspend: 'suspended', resume: 'resumed', close: 'closed' }[change];
      await this.outbox.append(tx, { type: `tenancy.tenant_${past}`, tenantId, payload: { tenantId, reason: reason ?? null, at: now.toISOString() } });
      await this.audit.record(tx, { actor: actorOf(principal), action: `tenant.${past}`, tenantId, targetType: 'tenant', targetId: tenantId, data: { reason: reason ?? null } });
      return toTenantView(tenant);
    });
  }
}
