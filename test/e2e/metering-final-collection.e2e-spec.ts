// The final collection at deprovisioning: the deprovision step collects an instance's usage from
// its watermark up to the moment access ended (the move to `deprovisioning`) before the plugin's
// deprovision runs, and ends its gauges with a sample of 0 there; a crash re-runs it without
// counting twice.
import { UsageCollectionRuntime } from '@werkbank/metering';
import { createTestEnvironment, TestEnvironment } from '@werkbank/plugin-testkit';
import { COUNTING_METER, countedBetween, countingService, countingServicePlugin, SEATS_METER, STORED_METER } from '../fixtures/usage-collector/counting-service.plugin';
import { usageOf } from '../support/metering';

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('final usage collection at deprovisioning', () => {
  let t: TestEnvironment;
  let admin: string;
  let runtime: UsageCollectionRuntime;

  beforeAll(async () => {
    t = await createTestEnvironment({
      plugins: [countingServicePlugin],
      // The test runs the scheduled rounds itself; windows of a day, no lag. Access tokens outlive the clock's jumps.
      env: { METERING_COLLECT_INTERVAL_MS: '3600000', METERING_COLLECT_LAG_MS: '0', METERING_COLLECT_MAX_WINDOW_MS: String(DAY), ACCESS_TOKEN_TTL: '30d' },
    });
    admin = await t.adminToken();
    runtime = t.app.get(UsageCollectionRuntime, { strict: false });
  });
  afterAll(() => t?.close());

  /** A new tenant with an active counting-service instance, created at the (frozen) clock's time. */
  async function activeInstance(level?: number): Promise<{ tenant: string; instanceId: string; createdAt: Date }> {
    t.clock.freeze();
    const tenant = (await t.createTenant()).id;
    const requested = await t.http.post(`/v1/tenants/${tenant}/services`).set(t.auth(admin)).send({ plugin: 'counting-service' }).expect(202);
    const instanceId = String(requested.body.id);
    if (level !== undefined) countingService.levels.set(instanceId, level);
    const active = await t.waitForServiceState(instanceId, 'active');
    return { tenant, instanceId, createdAt: new Date(String(active.createdAt)) };
  }

  async function deprovision(instanceId: string): Promise<Record<string, unknown>> {
    await t.http.delete(`/v1/services/${instanceId}`).set(t.auth(admin)).expect(202);
    return t.waitForServiceState(instanceId, 'deprovisioned');
  }

  const watermark = async (instanceId: string): Promise<{ collectedUntil: string; closedAt: string | null }> => {
    const [row] = await t.dataSource.query(`SELECT collected_until, closed_at FROM usage_collection_watermarks WHERE instance_id = $1`, [instanceId]);
    return { collectedUntil: new Date(row.collected_until).toISOString(), closedAt: row.closed_at ? new Date(row.closed_at).toISOString() : null };
  };
  const usage = (tenant: string, from: Date, to: Date, meter: string): Promise<string | undefined> =>
    usageOf(t, admin, tenant, { from: from.toISOString(), to: to.toISOString(), meter }).then((u) => u[meter]);
  const windowsOf = (instanceId: string) => countingService.windows.filter((w) => w.instanceId === instanceId).map(({ from, to }) => ({ from, to }));
  const deprovisionCallsOf = (instanceId: string) => countingService.deprovisioned.filter((d) => d.instanceId === instanceId);
  const collectedOnce = async (instanceId: string) => (await runtime.collectOnce()).find((o) => o.instanceId === instanceId);

  it('collects the usage between the last scheduled round and the start of deprovisioning once, before the plugin deprovisions', async () => {
    const { tenant, instanceId, createdAt } = await activeInstance();
    t.clock.freeze(new Date(createdAt.getTime() + 25 * MINUTE));
    expect(await collectedOnce(instanceId)).toMatchObject({ windows: 1, accepted: 25 });

    // 7 minutes of usage the scheduled collection never saw; then access ends
    t.clock.travel(7 * MINUTE);
    const endedAt = t.clock.now();
    await deprovision(instanceId);

    const lastWindow = { from: new Date(createdAt.getTime() + 25 * MINUTE).toISOString(), to: endedAt.toISOString() };
    expect(windowsOf(instanceId).at(-1)).toEqual(lastWindow);
    // the plugin's deprovision ran once, after the final window was collected
    expect(deprovisionCallsOf(instanceId)).toHaveLength(1);
    expect(deprovisionCallsOf(instanceId)[0].windowsBefore.at(-1)).toEqual(lastWindow);
    expect(await watermark(instanceId)).toEqual({ collectedUntil: endedAt.toISOString(), closedAt: endedAt.toISOString() });
    const upToEnd = String(countedBetween(createdAt, endedAt));
    expect(await usage(tenant, createdAt, new Date(endedAt.getTime() + DAY), COUNTING_METER)).toBe(upToEnd);

    // later rounds leave the removed instance alone, and running the final collection again changes nothing
    const windows = windowsOf(instanceId).length;
    t.clock.travel(5 * MINUTE);
    expect(await collectedOnce(instanceId)).toBeUndefined();
    await runtime.collectFinal({ instanceId, tenantId: tenant, pluginId: 'counting-service', mode: 'shared', externalId: `project-${instanceId}`, metadata: {}, createdAt, endedAt });
    expect(windowsOf(instanceId)).toHaveLength(windows);
    expect(await usage(tenant, createdAt, new Date(endedAt.getTime() + DAY), COUNTING_METER)).toBe(upToEnd);
  });

  it('collects an instance removed before any scheduled round from its creation', async () => {
    const { tenant, instanceId, createdAt } = await activeInstance();
    t.clock.travel(3 * MINUTE);
    const endedAt = t.clock.now();
    await deprovision(instanceId);
    expect(windowsOf(instanceId)).toEqual([{ from: createdAt.toISOString(), to: endedAt.toISOString() }]);
    expect(await usage(tenant, createdAt, new Date(endedAt.getTime() + DAY), COUNTING_METER)).toBe(String(countedBetween(createdAt, endedAt)));
  });

  it('a crash after the final window\'s ingest retries the step; the window is collected again without counting twice', async () => {
    const { tenant, instanceId, createdAt } = await activeInstance();
    t.clock.freeze(new Date(createdAt.getTime() + 10 * MINUTE));
    await collectedOnce(instanceId);
    t.clock.travel(6 * MINUTE);
    const endedAt = t.clock.now();
    const spy = jest.spyOn(runtime as unknown as { commitWindow: () => Promise<void> }, 'commitWindow').mockRejectedValueOnce(new Error('worker killed'));
    try {
      const removed = await deprovision(instanceId);
      const history = removed.history as Array<{ to: string; error: string | null }>;
      expect(history.some((h) => h.to === 'deprovisioning' && h.error?.includes('final usage collection: worker killed'))).toBe(true);
    } finally {
      spy.mockRestore();
    }
    const finalWindow = { from: new Date(createdAt.getTime() + 10 * MINUTE).toISOString(), to: endedAt.toISOString() };
    expect(windowsOf(instanceId).slice(-2)).toEqual([finalWindow, finalWindow]);
    expect(deprovisionCallsOf(instanceId)).toHaveLength(1);
    expect(await usage(tenant, createdAt, new Date(endedAt.getTime() + DAY), COUNTING_METER)).toBe(String(countedBetween(createdAt, endedAt)));
  });

  it('ends the gauges at deprovisioning: 100 stored for 10 days count as 100 × 10 days, not more', async () => {
    const { tenant, instanceId, createdAt } = await activeInstance(100);
    t.clock.freeze(new Date(createdAt.getTime() + 9.5 * DAY));
    expect(await collectedOnce(instanceId)).toMatchObject({ windows: 10, rejected: 0 });
    t.clock.freeze(new Date(createdAt.getTime() + 10 * DAY));
    const endedAt = t.clock.now();
    await deprovision(instanceId);

    const closing: Array<{ meter: string; quantity: string; occurred_at: Date }> = await t.dataSource.query(
      `SELECT meter, quantity::text, occurred_at FROM usage_events WHERE tenant_id = $1 AND idempotency_key LIKE 'close:%' ORDER BY meter`, [tenant]);
    expect(closing.map((c) => [c.meter, c.quantity, new Date(c.occurred_at).toISOString()])).toEqual([
      [SEATS_METER, '0', endedAt.toISOString()],
      [STORED_METER, '0', endedAt.toISOString()],
    ]);
    const keys: Array<{ idempotency_key: string }> = await t.dataSource.query(`SELECT idempotency_key FROM usage_events WHERE tenant_id = $1 AND idempotency_key LIKE 'close:%' ORDER BY 1`, [tenant]);
    expect(keys.map((k) => k.idempotency_key)).toEqual([`close:${instanceId}:${SEATS_METER}`, `close:${instanceId}:${STORED_METER}`]);

    // twenty days later: the average over 20 days is 100 × 10 / 20, over 30 days 100 × 10 / 30
    t.clock.freeze(new Date(createdAt.getTime() + 20 * DAY));
    expect(Number(await usage(tenant, createdAt, new Date(createdAt.getTime() + 20 * DAY), STORED_METER))).toBeCloseTo(50, 9);
    expect(Number(await usage(tenant, createdAt, new Date(createdAt.getTime() + 30 * DAY), STORED_METER))).toBeCloseTo(100 * 10 / 30, 9);
    // the latest level of the seats is 0 once the instance is gone
    expect(Number(await usage(tenant, createdAt, new Date(createdAt.getTime() + 20 * DAY), SEATS_METER))).toBe(0);
    t.clock.unfreeze();
  });
});
