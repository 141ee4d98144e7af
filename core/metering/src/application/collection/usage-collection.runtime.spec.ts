import { Logger } from '@nestjs/common';
import type { Clock, TransactionRunner, Tx } from '@werkbank/kernel';
import type { LoadedPlugin, PluginRegistry } from '@werkbank/plugin-host';
import { PermanentError, RetryableError, type UsageRecord, type UsageWindow } from '@werkbank/plugin-sdk';
import type { ActiveInstances, EndedInstance } from '@werkbank/provisioning';
import type { TenantDirectory } from '@werkbank/tenancy';
import type { Meter } from '../../domain/meter';
import type { CollectionWatermarkRepository, GaugeSeries } from '../../infrastructure/persistence/collection-watermark.repository';
import type { MeterCatalog } from '../meter-catalog';
import type { IngestResult, UsageEventInput, UsageIngestion } from '../usage-ingestion';
import { closingSample } from './closing-sample';
import { UsageCollectionRuntime } from './usage-collection.runtime';

const MINUTE = 60_000;
const TENANT = '0193a1f2-7c1e-7d2a-9b4e-2f1c3d4e5f60';
const INSTANCE = '0193a1f2-7c1e-7d2a-9b4e-aaaaaaaaaaaa';
const CREATED = new Date('2026-11-01T00:00:00Z');
const ENDED = new Date('2026-11-10T00:00:00Z');

const meter = (key: string, aggregation: Meter['aggregation'], dimensions: string[] = []): Meter =>
  ({ key, unit: 'x', aggregation, description: key, valueProperty: null, dimensions, owner: 'plugin:svc', createdAt: CREATED });

/** The runtime over in-memory stand-ins: one watermark row, a collector that records its windows, an ingestion that keeps events by key. */
function setup(options: { now?: Date; lagMs?: number; collectedUntil?: Date; collect?: (window: UsageWindow) => AsyncIterable<UsageRecord>; series?: GaugeSeries[] } = {}) {
  const state = {
    mark: { collectedUntil: options.collectedUntil ?? CREATED, closedAt: null as Date | null },
    lockedElsewhere: false,
    windows: [] as UsageWindow[],
    events: new Map<string, UsageEventInput>(),
  };
  const meters = [meter('svc.calls', 'sum'), meter('svc.stored', 'time_weighted'), meter('svc.files', 'latest', ['bucket'])];
  const plugin = {
    id: 'svc', status: 'ready',
    manifest: { meters: meters.map((m) => ({ key: m.key })) },
    plugin: {
      usageCollector: {
        collect: (_ctx: unknown, _ref: unknown, window: UsageWindow) => {
          state.windows.push(window);
          return options.collect?.(window) ?? (async function* () {})();
        },
      },
    },
  } as unknown as LoadedPlugin;
  const watermarks = {
    ensure: async () => undefined,
    lockForClosing: async () => (state.lockedElsewhere ? null : { ...state.mark }),
    advance: async (_tx: Tx, _id: string, to: Date) => { state.mark.collectedUntil = to; },
    close: async (_tx: Tx, _id: string, at: Date) => { state.mark.closedAt = at; },
    gaugeSeries: async () => options.series ?? [],
  } as unknown as CollectionWatermarkRepository;
  const ingestion = {
    ingest: async (events: UsageEventInput[]): Promise<IngestResult> => {
      let accepted = 0;
      for (const e of events) if (!state.events.has(e.idempotencyKey)) { state.events.set(e.idempotencyKey, e); accepted += 1; }
      return { accepted, duplicates: events.length - accepted, rejected: [] };
    },
  } as unknown as UsageIngestion;
  const runtime = new UsageCollectionRuntime(
    { get: () => plugin, context: () => ({}) } as unknown as PluginRegistry,
    {} as ActiveInstances,
    { get: async () => null } as unknown as TenantDirectory,
    watermarks,
    ingestion,
    { lookup: async () => new Map(meters.map((m) => [m.key, m])) } as unknown as MeterCatalog,
    { run: (fn: (tx: Tx) => unknown) => fn({} as Tx), reader: () => ({}) } as unknown as TransactionRunner,
    { collectIntervalMs: 60_000, collectLagMs: options.lagMs ?? 0, collectMaxWindowMs: 3 * 86_400_000 },
    { now: () => options.now ?? new Date(ENDED.getTime() + MINUTE) } as Clock,
  );
  const ended: EndedInstance = { instanceId: INSTANCE, tenantId: TENANT, pluginId: 'svc', mode: 'shared', externalId: 'p-1', metadata: {}, createdAt: CREATED, endedAt: ENDED };
  return { runtime, state, ended };
}

describe('UsageCollectionRuntime.collectFinal', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));
  it('collects contiguous windows up to the end of access, then closes the watermark there', async () => {
    const { runtime, state, ended } = setup();
    await runtime.collectFinal(ended);
    expect(state.windows.map((w) => [w.from.toISOString(), w.to.toISOString()])).toEqual([
      ['2026-11-01T00:00:00.000Z', '2026-11-04T00:00:00.000Z'],
      ['2026-11-04T00:00:00.000Z', '2026-11-07T00:00:00.000Z'],
      ['2026-11-07T00:00:00.000Z', '2026-11-10T00:00:00.000Z'],
    ]);
    expect(state.mark).toEqual({ collectedUntil: ENDED, closedAt: ENDED });
  });

  it('does nothing once the watermark is closed (a retried step)', async () => {
    const { runtime, state, ended } = setup();
    await runtime.collectFinal(ended);
    const windows = state.windows.length;
    await runtime.collectFinal(ended);
    expect(state.windows).toHaveLength(windows);
  });

  it('waits for the lag after the end of access, so the service has counted the last usage', async () => {
    const { runtime, state, ended } = setup({ lagMs: 5 * MINUTE, now: new Date(ENDED.getTime() + 2 * MINUTE) });
    const error = await runtime.collectFinal(ended).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).options.retryAfterMs).toBe(3 * MINUTE);
    expect(state.windows).toEqual([]);
    expect(state.mark.closedAt).toBeNull();
  });

  it('asks to be called again while a scheduled round holds the watermark', async () => {
    const { runtime, state, ended } = setup();
    state.lockedElsewhere = true;
    await expect(runtime.collectFinal(ended)).rejects.toBeInstanceOf(RetryableError);
    expect(state.windows).toEqual([]);
  });

  it('a collector\'s retryable error leaves the watermark and keeps the instance unclosed', async () => {
    const { runtime, state, ended } = setup({ collect: () => (async function* (): AsyncIterable<UsageRecord> { throw new RetryableError('503', { retryAfterMs: 42 }); })() });
    const error = await runtime.collectFinal(ended).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).message).toBe('final usage collection: 503');
    expect((error as RetryableError).options.retryAfterMs).toBe(42);
    expect(state.mark).toEqual({ collectedUntil: CREATED, closedAt: null });
  });

  it('a collector\'s permanent error gives up the rest of the usage but still ends the gauges', async () => {
    const series: GaugeSeries[] = [{ meter: 'svc.stored', values: [] }];
    const { runtime, state, ended } = setup({ series, collect: () => (async function* (): AsyncIterable<UsageRecord> { throw new PermanentError('gone'); })() });
    await runtime.collectFinal(ended);
    expect(state.windows).toHaveLength(1);
    expect(state.mark).toEqual({ collectedUntil: CREATED, closedAt: ENDED });
    expect([...state.events.keys()]).toEqual([`close:${INSTANCE}:svc.stored`]);
  });

  it('closes every reported gauge series with 0 at the end of access, once', async () => {
    const series: GaugeSeries[] = [{ meter: 'svc.files', values: ['a'] }, { meter: 'svc.files', values: [null] }, { meter: 'svc.stored', values: [] }];
    const { runtime, state, ended } = setup({ series });
    await runtime.collectFinal(ended);
    const closing = [...state.events.values()];
    expect(closing).toHaveLength(3);
    expect(closing.every((e) => e.quantity === '0' && e.timestamp === ENDED.toISOString() && e.tenantId === TENANT)).toBe(true);
    expect(closing.map((e) => e.properties)).toEqual([{ bucket: 'a' }, {}, undefined]);
  });

  it('closes after a window a scheduled round collected past the end of access, so no sample follows the closing one', async () => {
    const later = new Date(ENDED.getTime() + 30_000);
    const { runtime, state, ended } = setup({ collectedUntil: later, series: [{ meter: 'svc.stored', values: [] }] });
    await runtime.collectFinal(ended);
    expect(state.windows).toEqual([]);
    expect(state.mark.closedAt).toEqual(later);
    expect([...state.events.values()][0].timestamp).toBe(later.toISOString());
  });

  it('does nothing for an instance that was never provisioned', async () => {
    const { runtime, state, ended } = setup();
    await runtime.collectFinal({ ...ended, externalId: '' });
    expect(state.windows).toEqual([]);
    expect(state.mark.closedAt).toBeNull();
  });
});

describe('closingSample', () => {
  const instance = { instanceId: INSTANCE, tenantId: TENANT };

  it('is 0 at the end, keyed close:<instance>:<meter>', () => {
    expect(closingSample(instance, { meter: 'svc.stored', values: [] }, [], ENDED)).toEqual({
      tenantId: TENANT, meter: 'svc.stored', quantity: '0', timestamp: ENDED.toISOString(), idempotencyKey: `close:${INSTANCE}:svc.stored`,
    });
  });

  it('carries the series\' dimension values and a key per series', () => {
    const a = closingSample(instance, { meter: 'svc.files', values: ['a', null] }, ['bucket', 'region'], ENDED);
    const b = closingSample(instance, { meter: 'svc.files', values: ['b', null] }, ['bucket', 'region'], ENDED);
    expect(a.properties).toEqual({ bucket: 'a' });
    expect(a.idempotencyKey).toMatch(new RegExp(`^close:${INSTANCE}:svc\\.files:[0-9a-f]{32}$`));
    expect(a.idempotencyKey).not.toBe(b.idempotencyKey);
    expect(closingSample(instance, { meter: 'svc.files', values: ['a', null] }, ['bucket', 'region'], ENDED)).toEqual(a);
  });
});
