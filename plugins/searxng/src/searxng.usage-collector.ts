import type { InstanceRef, PluginContext, UsageCollector, UsageRecord, UsageWindow } from '@werkbank/plugin-sdk';
import { SearxngClient } from './searxng.client';
import { REQUESTS_METER, type SearxngOptions } from './manifest';

/**
 * Pulls the requests the service counted for a project. The worker collects each window once;
 * if it collects one again (a retry), the idempotency keys are the same, so nothing counts twice.
 */
export class SearxngUsageCollector implements UsageCollector<SearxngOptions> {
  async *collect(ctx: PluginContext<SearxngOptions>, ref: InstanceRef, window: UsageWindow): AsyncIterable<UsageRecord> {
    if (!ref.externalId) return;
    for await (const bucket of new SearxngClient(ctx).usage(ref.externalId, window)) {
      const at = new Date(bucket.at);
      // `to` is exclusive; services often treat it as inclusive
      if (at < window.from || at >= window.to || bucket.requests === 0) continue;
      yield {
        meter: REQUESTS_METER,
        quantity: String(bucket.requests),
        timestamp: at.toISOString(),
        // the service's bucket id is stable: the same bucket always gives the same key
        idempotencyKey: `${REQUESTS_METER}:${ref.externalId}:${bucket.id}`,
      };
    }
  }
}
