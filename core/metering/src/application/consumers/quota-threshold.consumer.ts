import { Injectable } from '@nestjs/common';
import type { DomainEventConsumer, PublishedEvent, Tx } from '@werkbank/kernel';
import { QuotaThresholds } from '../quota-thresholds';
import { USAGE_RECORDED } from '../usage-ingestion';

/**
 * Checks quotas after usage was recorded (in the worker, off the ingestion path): each
 * `metering.usage_recorded` event names the tenant and its meters; a tenant without quotas on
 * them costs one indexed lookup.
 */
@Injectable()
export class QuotaThresholdWatcher implements DomainEventConsumer {
  readonly name = 'metering.quota-threshold-watcher';

  constructor(private readonly thresholds: QuotaThresholds) {}

  handles(type: string): boolean {
    return type === USAGE_RECORDED;
  }

  async handle(tx: Tx, event: PublishedEvent): Promise<void> {
    const { tenantId, meters } = event.payload as { tenantId?: string; meters?: string[] };
    if (typeof tenantId !== 'string' || !Array.isArray(meters)) return;
    await this.thresholds.check(tx, tenantId, meters);
  }
}
