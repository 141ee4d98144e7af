import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { actorOf, AuditWriter, CLOCK, Clock, FieldError, OutboxWriter, Problems, TransactionRunner } from '@werkbank/kernel';
import { TenancyPrincipal, TenantDirectory } from '@werkbank/tenancy';
import { monthOf, startOfLocalDate } from '../../domain/periods';
import { parseTimestamp } from '../../domain/timestamp';
import { GroupBy, parseGroupBy, UsageItem } from '../../domain/usage-query';
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

/**
 * The time zone each caller last saw for each tenant it asked about (bounded; the pairs asked
 * about longest ago go first). It lets GetTenantUsageHandler run the access check and the usage
 * statement at the same time instead of one after the other; see there.
 */
export class RememberedZones {
  private readonly zones = new Map<string, string>();
  constructor(private readonly capacity = 10_000) {}

  private static key(principal: TenancyPrincipal, tenantId: string): string {
    return `${principal.kind}:${principal.id}:${tenantId}`;
  }

  get(principal: TenancyPrincipal, tenantId: string): string | undefined {
    return this.zones.get(RememberedZones.key(principal, tenantId));
  }

  /** After each access check: the pair becomes the newest (a Map keeps insertion order). */
  remember(principal: TenancyPrincipal, tenantId: string, timeZone: string): void {
    const key = RememberedZones.key(principal, tenantId);
    this.zones.delete(key);
    if (this.zones.size >= this.capacity) this.zones.delete(this.zones.keys().next().value!);
    this.zones.set(key, timeZone);
  }
}

type UsageParams = GetTenantUsageQuery['params'];
interface UsageQuestion {
  from: Date;
  to: Date;
  groupBy: GroupBy;
  meters?: string[];
}

@QueryHandler(GetTenantUsageQuery)
export class GetTenantUsageHandler implements IQueryHandler<GetTenantUsageQuery> {
  private readonly zones = new RememberedZones();

  constructor(
    private readonly tx: TransactionRunner,
    private readonly tenants: TenantDirectory,
    private readonly meters: MeterCatalog,
    private readonly usage: UsageQueryService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * The access check comes first and decides: its errors (404, 403) before any other. When the caller
   * asked about this tenant before, the usage statement starts at the same time as the check, with
   * the time zone the tenant had then (it sets the default month and the day buckets); its answer is
   * used only once the check has passed and the tenant's zone is still that one; otherwise it is
   * asked again. One round trip to the database less on the way of the answer, and nothing shown
   * that the check would not allow.
   */
  async execute({ principal, tenantId, params }: GetTenantUsageQuery) {
    const reader = this.tx.reader();
    const ask = (tenantIds: string[], q: UsageQuestion, timeZone: string) =>
      this.usage.usage({ tenantIds, from: q.from, to: q.to, meters: q.meters, groupBy: q.groupBy, timeZone }, reader);
    const answer = (items: UsageItem[], q: UsageQuestion) => ({ items, from: q.from.toISOString(), to: q.to.toISOString() });

    const access = this.tenants.requireAccess(reader, principal, tenantId, 'usage:read');
    access.catch(() => undefined); // awaited below; its error is thrown there
    const remembered = params.subtree ? undefined : this.zones.get(principal, tenantId);
    const guess = remembered === undefined ? null : await this.question(params, remembered);
    const early = guess && !Array.isArray(guess) ? { question: guess, items: ask([tenantId], guess, remembered!) } : null;
    early?.items.catch(() => undefined); // when the check fails, only its error counts
    const tenant = await access;
    this.zones.remember(principal, tenantId, tenant.timeZone);
    if (early && tenant.timeZone === remembered) return answer(await early.items, early.question);

    const asked = await this.question(params, tenant.timeZone);
    if (Array.isArray(asked)) throw Problems.validation(asked);
    const tenantIds = params.subtree ? await this.tenants.subtreeIds(reader, tenant.id) : [tenant.id];
    return answer(await ask(tenantIds, asked, tenant.timeZone), asked);
  }

  /** The range, grouping and meters asked for, in the tenant's time zone; or what is wrong with them. */
  private async question(params: UsageParams, timeZone: string): Promise<UsageQuestion | FieldError[]> {
    const errors: FieldError[] = [];
    const instant = (field: 'from' | 'to', value: string | undefined): Date | undefined => {
      if (value === undefined) return undefined;
      const at = parseTimestamp(value)?.epochMs ?? startOfLocalDate(value, timeZone)?.getTime();
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
    if (errors.length) return errors;
    if (!from || !to) ({ from, to } = monthOf(this.clock.now(), timeZone));
    return { from, to, groupBy, meters: params.meter ? [params.meter] : undefined };
  }
}

export const USAGE_HANDLERS = [RecordUsageHandler, VoidUsageHandler, GetTenantUsageHandler];
