import { Injectable } from '@nestjs/common';
import type { DomainEventConsumer, PublishedEvent, Tx } from '@werkbank/kernel';
import { QuotaThresholds } from '../quota-thresholds';
import { USAGE_RECORDED } from '../usage-ingestion';

/**
 * Checks quotas after usage was recorded (in the worker, off the ingestion path): each
 * `metering.usage_recorded` event names the batch's tenants and their meters; one query finds
 * those with quotas on them, and only they are checked.
 */
@Injectable()
export class QuotaThresholdWatcher implements DomainEventConsumer {
  readonly name = 'metering.quota-threshold-watcher';

  constructor(private readonly thresholds: QuotaThresholds) {}

  handles(type: string): boolean {
    return type === USAGE_RECORDED;
  }

  async handle(tx: Tx, event: PublishedEvent): Promise<void> {
    const payload = event.payload as { tenants?: unknown; tenantId?: unknown; meters?: unknown };
    // one entry per tenant of the batch; events written before batches had one row (`{tenantId, meters}`) each
    const entries = Array.isArray(payload.tenants) ? (payload.tenants as Array<{ tenantId?: unknown; meters?: unknown }>) : [payload];
    const usage = entries.filter((t): t is { tenantId: string; meters: string[] } => typeof t?.tenantId === 'string' && Array.isArray(t.meters));
    if (usage.length === 0) return;
    const withQuotas = await this.thresholds.tenantsWithQuotas(tx, usage.map((u) => u.tenantId));
    for (const u of usage) {
      if (withQuotas.has(u.tenantId)) await this.thresholds.check(tx, u.tenantId, u.meters);
    }
  }
}
