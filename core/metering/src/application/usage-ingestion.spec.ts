import type { TransactionRunner, Tx } from '@werkbank/kernel';
import type { TenantDirectory } from '@werkbank/tenancy';
import type { Meter } from '../domain/meter';
import type { CheckedUsageEvent } from '../domain/usage-event';
import { dedupKey, type BatchOutboxRow, type LostKey, type UsageEventRepository } from '../infrastructure/persistence/usage-event.repository';
import type { UsagePartitions } from '../infrastructure/persistence/usage-partitions';
import type { MeterCatalog } from './meter-catalog';
import { UsageIngestion, UsageEventInput } from './usage-ingestion';

const TENANT = '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60';
const NOW = new Date('2026-11-23T12:00:00Z');
const meter: Meter = { key: 'svc.calls', unit: 'call', aggregation: 'sum', description: 'x', valueProperty: null, dimensions: [], owner: 'operator', createdAt: NOW };
const METERS = new Map([[meter.key, meter], ['svc.other', { ...meter, key: 'svc.other' }]]);
const OTHER = '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f61';

/** An in-memory dedup table and outbox: what the database's unique key and the recording statement decide. */
class FakeEvents {
  readonly stored = new Map<string, CheckedUsageEvent>();
  readonly statements: number[] = [];
  readonly outbox: BatchOutboxRow[] = [];
  async record(_tx: Tx, events: readonly CheckedUsageEvent[], _at: Date, outbox: BatchOutboxRow): Promise<LostKey[]> {
    this.statements.push(events.length);
    const lost: LostKey[] = [];
    const won: CheckedUsageEvent[] = [];
    events.forEach((e, position) => {
      const key = dedupKey(e.tenantId, e.idempotencyKey);
      const before = this.stored.get(key);
      if (before) lost.push({ position, hash: before.contentHash });
      else {
        this.stored.set(key, e);
        won.push(e);
      }
    });
    // what the statement adds: the batch's row, with the number recorded, when anything was
    if (won.length) this.outbox.push({ ...outbox, payload: { ...outbox.payload, accepted: won.length } });
    return lost;
  }
  async recordedHashes(_tx: Tx, keys: ReadonlyArray<{ tenantId: string; idempotencyKey: string }>) {
    return new Map(keys.map((k) => [dedupKey(k.tenantId, k.idempotencyKey), this.stored.get(dedupKey(k.tenantId, k.idempotencyKey))!.contentHash]));
  }
}

function ingestion() {
  const events = new FakeEvents();
  const service = new UsageIngestion(
    events as unknown as UsageEventRepository,
    { ensureFor: async () => undefined } as unknown as UsagePartitions,
    { lookup: async (keys: Iterable<string>) => new Map([...keys].filter((k) => METERS.has(k)).map((k) => [k, METERS.get(k)!])) } as unknown as MeterCatalog,
    { permittedIds: async (_tx: Tx, ids: string[]) => new Set(ids.map((id) => id.toLowerCase()).filter((id) => id === TENANT || id === OTHER)) } as unknown as TenantDirectory,
    { run: (work: (tx: Tx) => Promise<unknown>) => work({} as Tx), reader: () => ({}) as Tx } as unknown as TransactionRunner,
    { now: () => NOW },
  );
  return { service, events, appended: events.outbox };
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

  it('writes one usage_recorded row per batch (not per tenant) naming its tenants, meters and time range, and none for a batch of duplicates', async () => {
    const { service, appended } = ingestion();
    const other = OTHER;
    await service.ingest([event('p'), { ...event('q'), timestamp: '2026-11-23T10:00:00+01:00' }, { ...event('z'), tenantId: other.toUpperCase(), meter: 'svc.other' }], trusted);
    expect(appended).toEqual([{
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), type: 'metering.usage_recorded', tenantId: null,
      payload: {
        accepted: 3, from: '2026-11-23T09:00:00.000000Z', to: '2026-11-23T11:00:00.000000Z',
        tenants: [
          { tenantId: TENANT, meters: ['svc.calls'], from: '2026-11-23T09:00:00.000000Z', to: '2026-11-23T11:00:00.000000Z' },
          { tenantId: other, meters: ['svc.other'], from: '2026-11-23T11:00:00.000000Z', to: '2026-11-23T11:00:00.000000Z' },
        ],
      },
    }]);
    await service.ingest([event('p'), event('q')], trusted);
    expect(appended).toHaveLength(1);
    await service.ingest([event('r')], trusted);
    expect(appended[1]).toMatchObject({ tenantId: TENANT, payload: { accepted: 1, tenants: [{ tenantId: TENANT, meters: ['svc.calls'] }] } });
  });

  it('reads the stored hash of a key another batch committed after this one began', async () => {
    const { service, events } = ingestion();
    await service.ingest([event('r', '3')], trusted);
    const record = events.record.bind(events);
    // the statement's snapshot did not see the other batch's row: no hash with the lost key
    events.record = async (...args: Parameters<FakeEvents['record']>) => (await record(...args)).map((l) => ({ ...l, hash: null }));
    const result = await service.ingest([event('r', '3'), event('r', '4')], trusted);
    expect(result).toEqual({ accepted: 0, duplicates: 1, rejected: [{ index: 1, code: 'usage.idempotency_conflict', message: expect.any(String) }] });
  });

  it('refuses more than 10,000 events (the caller must split)', async () => {
    const { service } = ingestion();
    await expect(service.ingest(new Array(10_001).fill(event('a')), trusted)).rejects.toThrow(RangeError);
  });
});
