import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock, entityManagerOf, Tx } from '@werkbank/kernel';
import type { EntitlementQuota, EntitlementQuotaSink } from '@werkbank/provisioning';
import { Quantity } from '../domain/quantity';
import { QuotaRepository } from '../infrastructure/persistence/quota.repository';
import { QuotaThresholds } from './quota-thresholds';

/**
 * Quotas kept in step with service instances' entitlements (`EntitlementKeyDefinition.quota`):
 * provisioning hands the values over (token ENTITLEMENT_QUOTAS); each sets one limit of the
 * tenant's monthly quota and keeps the other, unless the other would contradict it (a soft limit
 * above the hard one is dropped). A removed entitlement (`value: null`) lifts its limit.
 */
@Injectable()
export class EntitlementQuotas implements EntitlementQuotaSink {
  constructor(private readonly quotas: QuotaRepository, private readonly thresholds: QuotaThresholds, @Inject(CLOCK) private readonly clock: Clock) {}

  async apply(tx: Tx, tenantId: string, quotas: readonly EntitlementQuota[]): Promise<void> {
    const now = this.clock.now();
    for (const q of quotas) {
      const rows: Array<{ hard_limit: string | null; soft_limit: string | null }> = await entityManagerOf(tx).query(
        `SELECT hard_limit::text, soft_limit::text FROM quotas WHERE tenant_id = $1 AND meter = $2 FOR UPDATE`, [tenantId, q.meter]);
      let hardLimit = rows[0]?.hard_limit ?? null;
      let softLimit = rows[0]?.soft_limit ?? null;
      if (q.limit === 'hard') hardLimit = q.value;
      else softLimit = q.value;
      if (hardLimit !== null && softLimit !== null && new Quantity(softLimit).gt(hardLimit)) {
        if (q.limit === 'hard') softLimit = null;
        else hardLimit = null;
      }
      // a removed entitlement lifts its limit; with neither limit left the quota goes
      if (hardLimit === null && softLimit === null) await this.quotas.delete(tx, tenantId, q.meter);
      else await this.quotas.upsert(tx, tenantId, q.meter, { hardLimit, softLimit }, now);
    }
    // a new limit may already be reached by this month's usage
    await this.thresholds.check(tx, tenantId, quotas.map((q) => q.meter));
  }
}
