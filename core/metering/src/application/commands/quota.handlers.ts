import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, FieldError, Problems, TransactionRunner } from '@werkbank/kernel';
import { TenantDirectory } from '@werkbank/tenancy';
import type { Period } from '../../domain/periods';
import { parseQuantity, Quantity } from '../../domain/quantity';
import { QuotaRepository, QuotaRow } from '../../infrastructure/persistence/quota.repository';
import { EntitlementsService, toQuotaState } from '../entitlements.service';
import { MeterCatalog } from '../meter-catalog';
import { QuotaThresholds } from '../quota-thresholds';
import type { QuotaView } from '../views';
import { DeleteQuotaCommand, GetEntitlementsQuery, ListQuotasQuery, SetQuotaCommand } from './quota.commands';
import { ADMINISTERS_USAGE } from './usage.handlers';

const quotaNotFound = () => Problems.notFound('quota.not_found', 'Quota');

function toQuotaView(r: QuotaRow & { used: string }, period: Period): QuotaView {
  const state = toQuotaState(r, period);
  return {
    tenantId: r.tenantId, meter: r.meter, hardLimit: state.hardLimit, softLimit: state.softLimit, period: 'month', used: state.used,
    currentPeriod: state.period, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
  };
}

@CommandHandler(SetQuotaCommand)
export class SetQuotaHandler implements ICommandHandler<SetQuotaCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly tenants: TenantDirectory,
    private readonly meters: MeterCatalog,
    private readonly quotas: QuotaRepository,
    private readonly entitlements: EntitlementsService,
    private readonly thresholds: QuotaThresholds,
    private readonly audit: AuditWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, tenantId, meter, limits }: SetQuotaCommand) {
    return this.tx.run(async (tx) => {
      const tenant = await this.tenants.requireAccessFromAbove(tx, principal, tenantId, 'usage:write', ADMINISTERS_USAGE);
      if (!(await this.meters.get(meter))) throw Problems.notFound('meter.not_found', 'Meter');
      const errors: FieldError[] = [];
      const limit = (field: 'hardLimit' | 'softLimit'): string | null => {
        const value = limits[field];
        if (value === undefined || value === null) return null;
        const q = parseQuantity(value);
        if (!q.ok) errors.push({ field, message: `${field} ${q.reason}` });
        return q.ok ? q.text : null;
      };
      const hardLimit = limit('hardLimit');
      const softLimit = limit('softLimit');
      if (!errors.length && hardLimit === null && softLimit === null) errors.push({ field: 'hardLimit', message: 'set hardLimit, softLimit or both (DELETE removes the quota)' });
      if (hardLimit !== null && softLimit !== null && new Quantity(softLimit).gt(hardLimit)) errors.push({ field: 'softLimit', message: 'softLimit must not be above hardLimit' });
      if (errors.length) throw Problems.validation(errors);
      const now = this.clock.now();
      const created = await this.quotas.upsert(tx, tenant.id, meter, { hardLimit, softLimit }, now);
      await this.audit.record(tx, { actor: actorOf(principal), action: 'quota.set', tenantId: tenant.id, targetType: 'quota', targetId: meter, data: { hardLimit, softLimit } });
      // A new limit may already be reached by this month's usage.
      await this.thresholds.check(tx, tenant.id, [meter]);
      const { period, rows } = await this.entitlements.quotaStates(tx, tenant, now, [meter]);
      return { quota: toQuotaView(rows[0], period), created };
    });
  }
}

@CommandHandler(DeleteQuotaCommand)
export class DeleteQuotaHandler implements ICommandHandler<DeleteQuotaCommand> {
  constructor(private readonly tx: TransactionRunner, private readonly tenants: TenantDirectory, private readonly quotas: QuotaRepository, private readonly audit: AuditWriter) {}

  async execute({ principal, tenantId, meter }: DeleteQuotaCommand): Promise<void> {
    await this.tx.run(async (tx) => {
      const tenant = await this.tenants.requireAccessFromAbove(tx, principal, tenantId, 'usage:write', ADMINISTERS_USAGE);
      if (!(await this.quotas.delete(tx, tenant.id, meter))) throw quotaNotFound();
      await this.audit.record(tx, { actor: actorOf(principal), action: 'quota.deleted', tenantId: tenant.id, targetType: 'quota', targetId: meter });
    });
  }
}

@QueryHandler(ListQuotasQuery)
export class ListQuotasHandler implements IQueryHandler<ListQuotasQuery> {
  constructor(private readonly tx: TransactionRunner, private readonly tenants: TenantDirectory, private readonly entitlements: EntitlementsService, @Inject(CLOCK) private readonly clock: Clock) {}

  async execute({ principal, tenantId }: ListQuotasQuery): Promise<QuotaView[]> {
    const reader = this.tx.reader();
    const tenant = await this.tenants.requireAccess(reader, principal, tenantId, 'usage:read');
    const { period, rows } = await this.entitlements.quotaStates(reader, tenant, this.clock.now());
    return rows.map((r) => toQuotaView(r, period));
  }
}

@QueryHandler(GetEntitlementsQuery)
export class GetEntitlementsHandler implements IQueryHandler<GetEntitlementsQuery> {
  constructor(private readonly tx: TransactionRunner, private readonly tenants: TenantDirectory, private readonly entitlements: EntitlementsService) {}

  async execute({ principal, tenantId }: GetEntitlementsQuery) {
    await this.tenants.requireAccess(this.tx.reader(), principal, tenantId, 'usage:read');
    return this.entitlements.forTenant(tenantId);
  }
}

export const QUOTA_HANDLERS = [SetQuotaHandler, DeleteQuotaHandler, ListQuotasHandler, GetEntitlementsHandler];
