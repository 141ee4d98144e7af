import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, OutboxWriter, Problems, TransactionRunner } from '@werkbank/kernel';
import { TenantRepository } from '../../infrastructure/persistence/tenancy.repositories';
import { TenantAccess } from '../tenant-access';
import { toTenantView, TenantView } from '../views';
import { UpdateTenantCommand } from './update-tenant.command';

/** Master data every tenant must have: it can be changed, never cleared (the columns are NOT NULL). */
const REQUIRED_FIELDS = ['name', 'legalName', 'country', 'currency', 'billingEmail', 'timeZone'] as const;

@CommandHandler(UpdateTenantCommand)
export class UpdateTenantHandler implements ICommandHandler<UpdateTenantCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly tenants: TenantRepository,
    private readonly access: TenantAccess,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, tenantId, patch }: UpdateTenantCommand): Promise<TenantView> {
    // PartialType lets null through validation; for these fields it would hit the NOT NULL column (500).
    const cleared = REQUIRED_FIELDS.filter((field) => (patch as Record<string, unknown>)[field] === null);
    if (cleared.length > 0) {
      throw Problems.validation(cleared.map((field) => ({ field, message: `${field} cannot be cleared; send a value or leave it out` })));
    }
    return this.tx.run(async (tx) => {
      const tenant = await this.access.require(tx, principal, tenantId, 'tenants:write', { lock: true });
      const changed = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined);
      if (changed.length === 0) return toTenantView(tenant);
      Object.assign(tenant, {
        ...patch,
        ...(patch.country ? { country: patch.country.toUpperCase() } : {}),
        ...(patch.currency ? { currency: patch.currency.toUpperCase() } : {}),
        updatedAt: this.clock.now(),
      });
      await this.tenants.save(tx, tenant);
      await this.outbox.append(tx, { type: 'tenancy.tenant_updated', tenantId, payload: { tenantId, changed } });
      await this.audit.record(tx, { actor: actorOf(principal), action: 'tenant.updated', tenantId, targetType: 'tenant', targetId: tenantId, data: { changed } });
      return toTenantView(tenant);
    });
  }
}
