import type { InstanceRef, PluginContext, UsageCollector, UsageRecord, UsageWindow } from '@werkbank/plugin-sdk';
import { POINTS_METER, type QdrantOptions } from './manifest';
import { QdrantClient } from './qdrant.client';
import { namespaceOf } from './qdrant.namespace';

/**
 * Samples `qdrant.points` (a gauge): the points_count of every collection in the instance's
 * namespace, added up, once per collection window. The reading is taken when the window is
 * collected and dated at the window's last millisecond; the idempotency key is the window's
 * start, so collecting a window again yields the same key (and the first reading stands).
 */
export class QdrantUsageCollector implements UsageCollector<QdrantOptions> {
  async *collect(ctx: PluginContext<QdrantOptions>, ref: InstanceRef, window: UsageWindow): AsyncIterable<UsageRecord> {
    const client = new QdrantClient(ctx);
    const namespace = namespaceOf(ref.tenant.slug, ref.instanceId);
    let points = 0;
    for (const name of await client.collectionNames()) {
      if (!name.startsWith(namespace)) continue;
      const info = await client.collection(name);
      // points_count is optional (null while Qdrant has not counted yet): nothing to count then
      points += typeof info?.points_count === 'number' ? info.points_count : 0;
    }
    yield {
      meter: POINTS_METER,
      quantity: String(points),
      timestamp: new Date(Math.max(window.from.getTime(), window.to.getTime() - 1)).toISOString(),
      idempotencyKey: `${POINTS_METER}:${ref.instanceId}:${window.from.toISOString()}`,
    };
  }
}
