import type { OutboxWriter, TransactionRunner, Tx } from '@werkbank/kernel';
import type { TenantDirectory } from '@werkbank/tenancy';
import type { Meter } from '../domain/meter';
import type { CheckedUsageEvent } from '../domain/usage-event';
import { dedupKey, type UsageEventRepository } from '../infrastructure/persistence/usage-event.repository';
import type { UsagePartitions } from '../infrastructure/persistence/usage-partitions';
import type { MeterCatalog } from './meter-catalog';
import { UsageIngestion, UsageEventInput } from './usage-ingestion';

const TENANT = '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60';
const NOW = new Date('2026-11-23T12:00:00Z');
const meter: Meter = { key: 'svc.calls', unit: 'call', aggregation: 'sum', description: 'x', valueProperty: null, dimensions: [], owner: 'operator', createdAt: NOW };

/** An in-memory dedup table: what the database's unique key decides. */
class FakeEvents {
  readonly stored = new Map<string, CheckedUsageEvent>();
  readonly statements: number[] = [];
  async record(_tx: Tx, events: readonly CheckedUsageEvent[]): Promise<number[]> {
    this.statements.push(events.length);
    const won: number[] = [];
    for (const e of events) {
      const key = dedupKey(e.tenantId, e.idempotencyKey);
      if (!this.stored.has(key)) {
        this.stored.set(key, e);
        won.push(e.index);
      }
    }
    return won;
  }
  async recordedHashes(_tx: Tx, keys: ReadonlyArray<{ tenantId: string; idempotencyKey: string }>) {
    return new Map(keys.map((k) => [dedupKey(k.tenantId, k.idempotencyKey), this.stored.get(dedupKey(k.tenantId, k.idempotencyKey))!.contentHash]));
  }
}

function ingestion() {
  const events = new FakeEvents();
  const appended: unknown[] = [];
  const service = new UsageIngestion(
    events as unknown as UsageEventRepository,
    { ensureFor: async () => undefined } as unknown as UsagePartitions,
    { lookup: async (keys: Iterable<string>) => new Map([...keys].filter((k) => k === meter.key).map((k) => [k, meter])) } as unknown as MeterCatalog,
    { permittedIds: async (_tx: Tx, ids: string[]) => new Set(ids.filter((id) => id.toLowerCase() === TENANT)) } as unknown as TenantDirectory,
    { run: (work: (tx: Tx) => Promise<unknown>) => work({} as Tx), reader: () => ({}) as Tx } as unknown as TransactionRunner,
    { append: async (_tx: Tx, ...e: unknown[]) => void appended.push(...e) } as unknown as OutboxWriter,
    { now: () => NOW },
  );
  return { service, events, appended };
}

const event = (key: string, quantity = '1'): UsageEventInput => ({ tenantId: TENANT, meter: 'svc.calls', quantity, timestamp: '2026-11-23T11:00:00Z', idempotencyKey: key });
const trusted = { kind: 'trusted' as const, source: 'test' };

describe('UsageIngestion', () => {
  it('sends one row per key in one statement and settles the copies against the first', async () => {
    const { service, events } = ingestion();
    const result = await service.ingest([event('a'), event('a'), event('a', '2'), event('b')], trusted);
    expect(result).toEqual({ accepted: 2, duplicates: 1, rejected: [{ index: 2, code: 'usage.idempotency_conflict', message: expect.any(String) }] });
    expect(events.statements).toEqual([2]);
  });

  it('compares a lost key with what the database holds, for the first copy and every later one', async () => {
    const { service } = ingestion();
    await service.ingest([event('k', '5')], trusted);
    // first copy differs from the stored event (conflict); the second equals it (duplicate)
    const result = await service.ingest([event('k', '6'), event('k', '5.0')], trusted);
    expect(result).toEqual({ accepted: 0, duplicates: 1, rejected: [{ index: 0, code: 'usage.idempotency_conflict', message: expect.any(String) }] });
  });

  it('reports rejections in event order, with the checks\' codes', async () => {
    const { service } = ingestion();
    const result = await service.ingest([event('x', '-1'), event('y'), { ...event('z'), meter: 'nope' }], trusted);
    expect(result.rejected.map((r) => [r.index, r.code])).toEqual([[0, 'usage.invalid_quantity'], [2, 'usage.unknown_meter']]);
    expect(result.accepted).toBe(1);
  });

  it('writes one usage_recorded event per tenant with the meters and time range of what was accepted', async () => {
    const { service, appended } = ingestion();
    await service.ingest([event('p'), { ...event('q'), timestamp: '2026-11-23T10:00:00+01:00' }], trusted);
    expect(appended).toEqual([{
      type: 'metering.usage_recorded', tenantId: TENANT,
      payload: { tenantId: TENANT, meters: ['svc.calls'], accepted: 2, from: '2026-11-23T09:00:00.000000Z', to: '2026-11-23T11:00:00.000000Z' },
    }]);
  });

  it('refuses more than 10,000 events (the caller must split)', async () => {
    const { service } = ingestion();
    await expect(service.ingest(new Array(10_001).fill(event('a')), trusted)).rejects.toThrow(RangeError);
  });
});
