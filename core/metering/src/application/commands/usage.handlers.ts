import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, FieldError, OutboxWriter, Problems, TransactionRunner } from '@werkbank/kernel';
import { TenantDirectory } from '@werkbank/tenancy';
import { monthOf, startOfLocalDate } from '../../domain/periods';
import { parseTimestamp } from '../../domain/timestamp';
import { parseGroupBy } from '../../domain/usage-query';
import { UsageEventRepository } from '../../infrastructure/persistence/usage-event.repository';
import { InvoicedPeriods } from '../invoiced-periods';
import { MeterCatalog } from '../meter-catalog';
import { UsageIngestion } from '../usage-ingestion';
import { UsageQueryService } from '../usage-query.service';
import type { VoidResult } from '../views';
import { GetTenantUsageQuery, RecordUsageCommand, VoidUsageCommand } from './usage.commands';

/** Roles that administer a tenant from above: they set its quotas and void its usage. */
export const ADMINISTERS_USAGE = ['operator_admin', 'reseller_admin'] as const;
export const USAGE_VOIDED = 'metering.usage_voided';
/** The longest range one usage question may cover. */
const MAX_RANGE_MS = 400 * 86_400_000;

@CommandHandler(RecordUsageCommand)
export class RecordUsageHandler implements ICommandHandler<RecordUsageCommand> {
  constructor(private readonly ingestion: UsageIngestion) {}
  execute({ principal, events }: RecordUsageCommand) {
    return this.ingestion.ingest(events, { kind: 'principal', principal });
  }
}

@CommandHandler(VoidUsageCommand)
export class VoidUsageHandler implements ICommandHandler<VoidUsageCommand> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly tenants: TenantDirectory,
    private readonly events: UsageEventRepository,
    private readonly invoiced: InvoicedPeriods,
    private readonly audit: AuditWriter,
    private readonly outbox: OutboxWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, tenantId, idempotencyKeys }: VoidUsageCommand): Promise<VoidResult> {
    return this.tx.run(async (tx) => {
      const tenant = await this.tenants.requireAccessFromAbove(tx, principal, tenantId, 'usage:write', ADMINISTERS_USAGE);
      const keys = [...new Set(idempotencyKeys)];
      const found = await this.events.findKeys(tx, tenant.id, keys);
      const foundKeys = new Set(found.map((f) => f.idempotencyKey));
      const invoiced: string[] = [];
      const open = [];
      for (const f of found) {
        if (await this.invoiced.isInvoiced(tx, tenant.id, f.occurredAt)) invoiced.push(f.idempotencyKey);
        else open.push(f);
      }
      const now = this.clock.now();
      const voided = await this.events.void(tx, tenant.id, open, now);
      if (voided.length) {
        const times = voided.map((v) => v.occurredAt.getTime());
        await this.outbox.append(tx, {
          type: USAGE_VOIDED, tenantId: tenant.id,
          payload: { tenantId: tenant.id, voided: voided.length, meters: [...new Set(voided.map((v) => v.meter))].sort(), from: new Date(Math.min(...times)).toISOString(), to: new Date(Math.max(...times)).toISOString() },
        });
        await this.audit.record(tx, { actor: actorOf(principal), action: 'usage.voided', tenantId: tenant.id, targetType: 'tenant', targetId: tenant.id, data: { voided: voided.length } });
      }
      return { voided: open.length, notFound: keys.filter((k) => !foundKeys.has(k)), invoiced };
    });
  }
}

@QueryHandler(GetTenantUsageQuery)
export class GetTenantUsageHandler implements IQueryHandler<GetTenantUsageQuery> {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly tenants: TenantDirectory,
    private readonly meters: MeterCatalog,
    private readonly usage: UsageQueryService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute({ principal, tenantId, params }: GetTenantUsageQuery) {
    const reader = this.tx.reader();
    const tenant = await this.tenants.requireAccess(reader, principal, tenantId, 'usage:read');
    const errors: FieldError[] = [];
    const instant = (field: 'from' | 'to', value: string | undefined): Date | undefined => {
      if (value === undefined) return undefined;
      const at = parseTimestamp(value)?.epochMs ?? startOfLocalDate(value, tenant.timeZone)?.getTime();
      if (at === undefined) errors.push({ field, message: `${field} must be an ISO 8601 date-time with offset (2026-11-01T00:00:00+01:00) or a date (2026-11-01, midnight in the tenant's time zone)` });
      return at === undefined ? undefined : new Date(at);
    };
    let from = instant('from', params.from);
    let to = instant('to', params.to);
    if ((params.from === undefined) !== (params.to === undefined)) errors.push({ field: params.from === undefined ? 'from' : 'to', message: 'give from and to together, or neither for the current month' });
    if (from && to && from >= to) errors.push({ field: 'to', message: 'to must be after from' });
    if (from && to && to.getTime() - from.getTime() > MAX_RANGE_MS) errors.push({ field: 'to', message: 'a usage question covers at most 400 days' });
    const groupBy = parseGroupBy(params.groupBy);
    if (params.meter !== undefined && !(await this.meters.get(params.meter))) errors.push({ field: 'meter', message: `meter "${params.meter}" is not registered` });
    if (errors.length) throw Problems.validation(errors);
    if (!from || !to) ({ from, to } = monthOf(this.clock.now(), tenant.timeZone));
    const tenantIds = params.subtree ? await this.tenants.subtreeIds(reader, tenant.id) : [tenant.id];
    const items = await this.usage.usage({ tenantIds, from, to, meters: params.meter ? [params.meter] : undefined, groupBy, timeZone: tenant.timeZone }, reader);
    return { items, from: from.toISOString(), to: to.toISOString() };
  }
}

export const USAGE_HANDLERS = [RecordUsageHandler, VoidUsageHandler, GetTenantUsageHandler];
