import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock, Problems, TransactionRunner, Tx } from '@werkbank/kernel';
import { TenantDirectory, TenantSummary } from '@werkbank/tenancy';
import { monthOf, Period } from '../domain/periods';
import { decimalText } from '../domain/quantity';
import { QuotaRepository, QuotaRow } from '../infrastructure/persistence/quota.repository';
import { UsageQueryService } from './usage-query.service';

export interface QuotaState {
  meter: string;
  period: { from: string; to: string };
  hardLimit: string | null;
  softLimit: string | null;
  /** usage in the period (for gauges: the current level) */
  used: string;
}

/** What the gateway needs to decide about a tenant's requests; it caches this. */
export interface TenantEntitlements {
  tenantId: string;
  /** effective: a suspended or closed parent makes its subtree suspended or closed */
  status: 'active' | 'suspended' | 'closed';
  quotas: QuotaState[];
  generatedAt: string;
}

/**
 * Quotas with their usage in the current calendar month (the tenant's time zone). Cheap: the
 * tenant (one indexed lookup in tenancy) and its quotas with their usage (one statement);
 * gauge quotas add one more.
 */
@Injectable()
export class EntitlementsService {
  constructor(
    private readonly quotas: QuotaRepository,
    private readonly usage: UsageQueryService,
    private readonly tenants: TenantDirectory,
    private readonly tx: TransactionRunner,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** 404 `tenant.not_found` for an unknown tenant. */
  async forTenant(tenantId: string): Promise<TenantEntitlements> {
    const reader = this.tx.reader();
    const tenant = await this.tenants.getEffective(reader, tenantId);
    if (!tenant) throw Problems.notFound('tenant.not_found', 'Tenant');
    const now = this.clock.now();
    const { period, rows } = await this.quotaStates(reader, tenant, now);
    return {
      tenantId: tenant.id,
      status: tenant.status,
      quotas: rows.map((r) => toQuotaState(r, period)),
      generatedAt: now.toISOString(),
    };
  }

  /** The tenant's quotas with `used` filled in for the month containing `at`. */
  async quotaStates(tx: Tx, tenant: Pick<TenantSummary, 'id' | 'timeZone'>, at: Date, meters?: readonly string[]): Promise<{ period: Period; rows: Array<QuotaRow & { used: string }> }> {
    const period = monthOf(at, tenant.timeZone);
    const rows = await this.quotas.withUsage(tx, tenant.id, period, meters);
    const gauges = rows.filter((r) => r.used === null).map((r) => r.meter);
    const levels = await this.usage.levels(tenant.id, gauges, tx);
    return { period, rows: rows.map((r) => ({ ...r, used: decimalText(r.used ?? levels.get(r.meter) ?? '0') })) };
  }
}

export function toQuotaState(r: QuotaRow & { used: string }, period: Period): QuotaState {
  return {
    meter: r.meter,
    period: { from: period.from.toISOString(), to: period.to.toISOString() },
    hardLimit: r.hardLimit === null ? null : decimalText(r.hardLimit),
    softLimit: r.softLimit === null ? null : decimalText(r.softLimit),
    used: r.used,
  };
}
