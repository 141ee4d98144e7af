import { createHash } from 'node:crypto';
import { MAX_IDEMPOTENCY_KEY_LENGTH, UsageEventInput } from '../../domain/usage-event';
import type { GaugeSeries } from '../../infrastructure/persistence/collection-watermark.repository';

/**
 * The sample that ends one gauge series of an ended instance: 0 at `closeAt`, with the series'
 * dimension values, keyed `close:<instanceId>:<meter>` (plus a hash of the values for a meter with
 * dimensions), so a re-run records it once.
 */
export function closingSample(instance: { instanceId: string; tenantId: string }, series: GaugeSeries, dimensions: readonly string[], closeAt: Date): UsageEventInput {
  const properties: Record<string, string> = {};
  dimensions.forEach((d, i) => {
    const value = series.values[i];
    if (value !== null && value !== undefined) properties[d] = value;
  });
  let key = `close:${instance.instanceId}:${series.meter}`;
  if (dimensions.length > 0) key += `:${createHash('sha256').update(JSON.stringify(series.values)).digest('hex').slice(0, 32)}`;
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) key = `close:${instance.instanceId}:sha256:${createHash('sha256').update(key).digest('hex')}`;
  return {
    tenantId: instance.tenantId, meter: series.meter, quantity: '0', timestamp: closeAt.toISOString(), idempotencyKey: key,
    ...(dimensions.length > 0 ? { properties } : {}),
  };
}
