// Pull collection: the worker asks a plugin's usage collector for contiguous windows
// [watermark, now - lag), records the usage through the ingestion path, and moves the watermark
// only after that committed; a crash in between re-collects the window without counting twice.
import { UsageCollectionRuntime } from '@werkbank/metering';
import { createTestEnvironment, TestEnvironment } from '@werkbank/plugin-testkit';
import { COUNTING_METER, countedBetween, countingService, countingServicePlugin } from '../fixtures/usage-collector/counting-service.plugin';
import { usageOf } from '../support/metering';

const MINUTE = 60_000;

describe('pull collection of usage', () => {
  let t: TestEnvironment;
  let admin: string;
  let runtime: UsageCollectionRuntime;
  let tenant: string;
  let instanceId: string;
  let createdAt: Date;

  beforeAll(async () => {
    t = await createTestEnvironment({
      plugins: [countingServicePlugin],
      // The test runs the rounds itself; windows of 10 minutes, no lag.
      // Access tokens outlive the clock's jumps.
      env: { METERING_COLLECT_INTERVAL_MS: '3600000', METERING_COLLECT_LAG_MS: '0', METERING_COLLECT_MAX_WINDOW_MS: '600000', ACCESS_TOKEN_TTL: '12h' },
    });
    admin = await t.adminToken();
    runtime = t.app.get(UsageCollectionRuntime, { strict: false });
    tenant = (await t.createTenant()).id;
    const requested = await t.http.post(`/v1/tenants/${tenant}/services`).set(t.auth(admin)).send({ plugin: 'counting-service' }).expect(202);
    const active = await t.waitForServiceState(requested.body.id, 'active');
    instanceId = requested.body.id;
    createdAt = new Date(String(active.createdAt));
  });
  afterAll(() => t?.close());

  const watermark = async (): Promise<string> =>
    new Date((await t.dataSource.query(`SELECT collected_until FROM usage_collection_watermarks WHERE instance_id = $1`, [instanceId]))[0].collected_until).toISOString();
  const collected = async () => (await usageOf(t, admin, tenant, { from: new Date(createdAt.getTime() - MINUTE).toISOString(), to: new Date(t.clock.now().getTime() + MINUTE).toISOString() }))[COUNTING_METER] ?? '0';
  const windowsSince = (n: number) => countingService.windows.slice(n).filter((w) => w.instanceId === instanceId);

  it('collects contiguous windows from the instance\'s creation up to now, at most 10 minutes each', async () => {
    t.clock.freeze(new Date(createdAt.getTime() + 25 * MINUTE));
    const before = countingService.windows.length;
    const [outcome] = await runtime.collectOnce();
    expect(outcome).toMatchObject({ instanceId, pluginId: 'counting-service', windows: 3, duplicates: 0, rejected: 0 });
    const windows = windowsSince(before);
    expect(windows.map((w) => [w.from, w.to])).toEqual([
      [createdAt.toISOString(), new Date(createdAt.getTime() + 10 * MINUTE).toISOString()],
      [new Date(createdAt.getTime() + 10 * MINUTE).toISOString(), new Date(createdAt.getTime() + 20 * MINUTE).toISOString()],
      [new Date(createdAt.getTime() + 20 * MINUTE).toISOString(), t.clock.now().toISOString()],
    ]);
    // one record per whole minute of [createdAt, now): 25 of them
    expect(outcome.accepted).toBe(25);
    expect(await watermark()).toBe(t.clock.now().toISOString());
    expect(await collected()).toBe(String(countedBetween(createdAt, t.clock.now())));
  });

  it('a round with nothing new collects nothing', async () => {
    const before = countingService.windows.length;
    expect(await runtime.collectOnce()).toEqual([expect.objectContaining({ windows: 0, accepted: 0 })]);
    expect(windowsSince(before)).toEqual([]);
  });

  it('a crash after the ingest and before the watermark moved re-collects that window, counting nothing twice', async () => {
    const start = await watermark();
    t.clock.freeze(new Date(t.clock.now().getTime() + 7 * MINUTE));
    const spy = jest.spyOn(runtime as unknown as { commitWindow: () => Promise<void> }, 'commitWindow').mockRejectedValueOnce(new Error('worker killed'));
    const before = countingService.windows.length;
    const [crashed] = await runtime.collectOnce();
    expect(crashed.error).toBe('worker killed');
    expect(crashed.accepted).toBe(7);
    expect(await watermark()).toBe(start);
    // the usage is there already (committed before the watermark), once
    expect(await collected()).toBe(String(countedBetween(createdAt, t.clock.now())));

    const [rerun] = await runtime.collectOnce();
    expect(rerun).toMatchObject({ windows: 1, accepted: 0, duplicates: 7, rejected: 0 });
    const windows = windowsSince(before);
    expect(windows).toHaveLength(2);
    expect(windows[1]).toEqual(windows[0]);
    expect(windows[0]).toEqual({ instanceId, from: start, to: t.clock.now().toISOString() });
    expect(await watermark()).toBe(t.clock.now().toISOString());
    expect(await collected()).toBe(String(countedBetween(createdAt, t.clock.now())));
    spy.mockRestore();
  });

  it('a failing collector leaves the watermark; the next round collects the window', async () => {
    const start = await watermark();
    t.clock.freeze(new Date(t.clock.now().getTime() + 3 * MINUTE));
    countingService.failNext = 1;
    const [failed] = await runtime.collectOnce();
    expect(failed.error).toContain('503');
    expect(await watermark()).toBe(start);
    const [next] = await runtime.collectOnce();
    expect(next).toMatchObject({ windows: 1, accepted: 3 });
    expect(await collected()).toBe(String(countedBetween(createdAt, t.clock.now())));
  });

  it('records of a meter the plugin does not declare are ignored; the rest is recorded', async () => {
    t.clock.freeze(new Date(t.clock.now().getTime() + 2 * MINUTE));
    countingService.reportForeignMeter = true;
    const [outcome] = await runtime.collectOnce();
    expect(outcome).toMatchObject({ windows: 1, accepted: 2, rejected: 1 });
    expect(await collected()).toBe(String(countedBetween(createdAt, t.clock.now())));
  });
});
