import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock, OutboxWriter, Tx } from '@werkbank/kernel';
import { TenantDirectory } from '@werkbank/tenancy';
import { reachedThresholds } from '../domain/quota';
import { QuotaRepository } from '../infrastructure/persistence/quota.repository';
import { EntitlementsService, toQuotaState } from './entitlements.service';

export const QUOTA_THRESHOLD_REACHED = 'metering.quota_threshold_reached';

/**
 * Emits `metering.quota_threshold_reached` once per quota, limit (soft and hard), threshold
 * (80 %, 100 %) and period, when the tenant's usage in the current month has reached it. The
 * quota_notifications table remembers what was emitted; a changed limit is checked anew.
 */
@Injectable()
export class QuotaThresholds {
  constructor(
    private readonly entitlements: EntitlementsService,
    private readonly quotas: QuotaRepository,
    private readonly tenants: TenantDirectory,
    private readonly outbox: OutboxWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Of these tenants, those with any quota (one query for a whole batch). */
  tenantsWithQuotas(tx: Tx, tenantIds: readonly string[]): Promise<Set<string>> {
    return this.quotas.tenantsWithQuotas(tx, tenantIds);
  }

  /** Checks the tenant's quotas (of these meters, or all); returns how many notifications were emitted. */
  async check(tx: Tx, tenantId: string, meters?: readonly string[]): Promise<number> {
    if (!(await this.quotas.exists(tx, tenantId, meters))) return 0;
    const tenant = await this.tenants.get(tx, tenantId);
    if (!tenant) return 0;
    const now = this.clock.now();
    const { period, rows } = await this.entitlements.quotaStates(tx, tenant, now, meters);
    const reached = rows.flatMap((r) => reachedThresholds(r, r.used).map((t) => ({ ...t, meter: r.meter, row: r })));
    const fresh = await this.quotas.markReached(tx, tenantId, period.from, reached, now);
    const events = fresh.map((f) => {
      const row = reached.find((r) => r.meter === f.meter && r.limitKind === f.limitKind && r.threshold === f.threshold)!.row;
      const state = toQuotaState(row, period);
      return {
        type: QUOTA_THRESHOLD_REACHED,
        tenantId,
        payload: { tenantId, meter: f.meter, threshold: f.threshold, limitKind: f.limitKind, limit: f.limitKind === 'hard' ? state.hardLimit : state.softLimit, used: state.used, period: state.period },
      };
    });
    await this.outbox.append(tx, ...events);
    return events.length;
  }
}
