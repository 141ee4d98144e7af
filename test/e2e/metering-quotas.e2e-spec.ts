// Quotas: who sets them, their usage per month, the metering.quota_threshold_reached events at
// 80 % and 100 % of the soft and the hard limit (once each per period, from the worker), and
// the entitlements the gateway reads.
import { randomUUID } from 'node:crypto';
import { EntitlementsService } from '@werkbank/metering';
import { ago, ingest, registerMeters } from '../support/metering';
import { startTestApp, TestApp, userWithRole } from '../support/test-app';

interface Reached {
  tenantId: string;
  meter: string;
  threshold: number;
  limitKind: string;
  limit: string;
  used: string;
  period: { from: string; to: string };
}

describe('quotas and entitlements', () => {
  let t: TestApp;
  let admin: string;
  let reseller: string;
  let tenant: string;
  let resellerAdmin: string;
  let tenantAdmin: string;

  beforeAll(async () => {
    t = await startTestApp({}, undefined, { worker: true });
    admin = await t.adminToken();
    await registerMeters(t, [
      { key: 'quota.calls', unit: 'call', aggregation: 'sum' },
      { key: 'quota.points', unit: 'point', aggregation: 'latest', dimensions: ['collection'] },
      { key: 'quota.other', unit: 'x', aggregation: 'sum' },
    ]);
    reseller = (await t.createTenant({ kind: 'reseller' })).id;
    tenant = (await t.createTenant({ parentId: reseller, timeZone: 'Europe/Berlin' })).id;
    resellerAdmin = (await userWithRole(t, admin, reseller, 'reseller_admin', `reseller-${randomUUID()}@example.test`)).accessToken;
    tenantAdmin = (await userWithRole(t, admin, tenant, 'tenant_admin', `admin-${randomUUID()}@example.test`)).accessToken;
  });
  afterAll(() => t?.close());

  const calls = (tenantId: string, quantity: string) => ({ tenantId, meter: 'quota.calls', quantity, timestamp: ago(t, 60_000), idempotencyKey: randomUUID() });
  const reached = async (tenantId: string): Promise<Reached[]> =>
    (await t.dataSource.query(`SELECT payload FROM outbox_events WHERE type = 'metering.quota_threshold_reached' AND tenant_id = $1 ORDER BY id`, [tenantId]))
      .map((r: { payload: Reached }) => r.payload);
  /** Waits until the worker has handled every usage event so far (the outbox is relayed, the consumer ran). */
  async function settled(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [{ pending }] = await t.dataSource.query(
        `SELECT count(*)::int AS pending FROM outbox_events o WHERE o.type = 'metering.usage_recorded'
            AND NOT EXISTS (SELECT 1 FROM processed_events p WHERE p.event_id = o.id AND p.consumer = 'metering.quota-threshold-watcher')`,
      );
      if (pending === 0) return;
      if (Date.now() > deadline) throw new Error(`${pending} usage events not handled by the quota watcher`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('an operator admin sets a quota (201), replaces it (200) and it is listed with this month\'s usage', async () => {
    const created = await t.http.put(`/v1/tenants/${tenant}/quotas/quota.other`).set(t.auth(admin)).send({ hardLimit: '500' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      tenantId: tenant, meter: 'quota.other', hardLimit: '500', softLimit: null, period: 'month', used: '0',
      currentPeriod: { from: expect.any(String), to: expect.any(String) }, createdAt: expect.any(String), updatedAt: expect.any(String),
    });
    const replaced = await t.http.put(`/v1/tenants/${tenant}/quotas/quota.other`).set(t.auth(admin)).send({ hardLimit: 600, softLimit: '450.5' });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ hardLimit: '600', softLimit: '450.5' });
    const listed = await t.http.get(`/v1/tenants/${tenant}/quotas`).set(t.auth(tenantAdmin)).expect(200);
    expect(listed.body.items).toEqual([replaced.body]);
  });

  it('reseller admins above the tenant set quotas; the tenant\'s own admins and the reseller on itself may not', async () => {
    await t.http.put(`/v1/tenants/${tenant}/quotas/quota.other`).set(t.auth(resellerAdmin)).send({ hardLimit: '700' }).expect(200);
    for (const [token, id] of [[tenantAdmin, tenant], [resellerAdmin, reseller]]) {
      const res = await t.http.put(`/v1/tenants/${id}/quotas/quota.other`).set(t.auth(token)).send({ hardLimit: '1' });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'auth.forbidden' });
    }
    const stranger = (await userWithRole(t, admin, (await t.createTenant()).id, 'tenant_admin', `s-${randomUUID()}@example.test`)).accessToken;
    expect((await t.http.get(`/v1/tenants/${tenant}/quotas`).set(t.auth(stranger))).body.code).toBe('tenant.not_found');
    expect((await t.http.put(`/v1/tenants/${tenant}/quotas/quota.other`).set(t.auth(stranger)).send({ hardLimit: '1' })).body.code).toBe('tenant.not_found');
  });

  test.each<[string, string, Record<string, unknown>]>([
    ['neither limit', 'hardLimit', {}],
    ['a negative limit', 'hardLimit', { hardLimit: '-5' }],
    ['a limit that is no number', 'softLimit', { softLimit: 'lots' }],
    ['a soft limit above the hard one', 'softLimit', { hardLimit: '10', softLimit: '20' }],
    ['an unknown field', 'period', { hardLimit: '10', period: 'day' }],
  ])('%s answers 400 naming %s', async (_name, field, body) => {
    const res = await t.http.put(`/v1/tenants/${tenant}/quotas/quota.calls`).set(t.auth(admin)).send(body);
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'request.validation_failed' });
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
  });

  it('an unknown meter answers 404 meter.not_found; removing a quota 204, again 404 quota.not_found', async () => {
    expect((await t.http.put(`/v1/tenants/${tenant}/quotas/quota.nope`).set(t.auth(admin)).send({ hardLimit: '1' })).body.code).toBe('meter.not_found');
    const fresh = (await t.createTenant()).id;
    await t.http.put(`/v1/tenants/${fresh}/quotas/quota.other`).set(t.auth(admin)).send({ hardLimit: '1' }).expect(201);
    await t.http.delete(`/v1/tenants/${fresh}/quotas/quota.other`).set(t.auth(admin)).expect(204);
    expect((await t.http.get(`/v1/tenants/${fresh}/quotas`).set(t.auth(admin))).body.items).toEqual([]);
    const again = await t.http.delete(`/v1/tenants/${fresh}/quotas/quota.other`).set(t.auth(admin));
    expect({ status: again.status, code: again.body.code }).toEqual({ status: 404, code: 'quota.not_found' });
  });

  it('emits one threshold event per limit, threshold and period as usage reaches 80 % and 100 % of the soft and hard limit', async () => {
    const fresh = (await t.createTenant({ timeZone: 'Europe/Berlin' })).id;
    await t.http.put(`/v1/tenants/${fresh}/quotas/quota.calls`).set(t.auth(admin)).send({ softLimit: '100', hardLimit: '200' }).expect(201);
    await ingest(t, admin, [calls(fresh, '79.5')]);
    await settled();
    expect(await reached(fresh)).toEqual([]);
    await ingest(t, admin, [calls(fresh, '0.5')]); // 80: soft 80 %
    await settled();
    expect((await reached(fresh)).map((r) => `${r.limitKind}${r.threshold}`)).toEqual(['soft80']);
    await ingest(t, admin, [calls(fresh, '20')]); // 100: soft 100 %
    await settled();
    await ingest(t, admin, [calls(fresh, '100')]); // 200: hard 80 % and 100 %
    await settled();
    await ingest(t, admin, [calls(fresh, '1')]); // nothing new
    await settled();
    const events = (await reached(fresh)).sort((a, b) => `${a.limitKind}${a.threshold}`.localeCompare(`${b.limitKind}${b.threshold}`));
    expect(events.map((r) => `${r.limitKind}${r.threshold}`)).toEqual(['hard100', 'hard80', 'soft100', 'soft80']);
    const period = (await t.http.get(`/v1/tenants/${fresh}/quotas`).set(t.auth(admin))).body.items[0].currentPeriod;
    expect(events[3]).toEqual({ tenantId: fresh, meter: 'quota.calls', threshold: 80, limitKind: 'soft', limit: '100', used: '80', period });
    expect(events[0]).toMatchObject({ threshold: 100, limitKind: 'hard', limit: '200', used: '200' });
  });

  it('a new limit that usage already reached notifies at once, and a changed limit is checked anew', async () => {
    const fresh = (await t.createTenant()).id;
    await ingest(t, admin, [calls(fresh, '50')]);
    await settled();
    await t.http.put(`/v1/tenants/${fresh}/quotas/quota.calls`).set(t.auth(admin)).send({ softLimit: '60' }).expect(201);
    expect((await reached(fresh)).map((r) => `${r.limitKind}${r.threshold}:${r.limit}`)).toEqual(['soft80:60']);
    await t.http.put(`/v1/tenants/${fresh}/quotas/quota.calls`).set(t.auth(admin)).send({ softLimit: '50' }).expect(200);
    expect((await reached(fresh)).map((r) => `${r.limitKind}${r.threshold}:${r.limit}`).sort()).toEqual(['soft100:50', 'soft80:50', 'soft80:60']);
  });

  it('entitlements: effective status and every quota with this month\'s usage (gauges: the current level)', async () => {
    const fresh = (await t.createTenant({ parentId: reseller })).id;
    await t.http.put(`/v1/tenants/${fresh}/quotas/quota.calls`).set(t.auth(admin)).send({ hardLimit: '1000' }).expect(201);
    await t.http.put(`/v1/tenants/${fresh}/quotas/quota.points`).set(t.auth(admin)).send({ hardLimit: '500', softLimit: '400' }).expect(201);
    await ingest(t, admin, [
      calls(fresh, '12.25'), calls(fresh, '0.75'),
      { tenantId: fresh, meter: 'quota.points', quantity: '100', timestamp: ago(t, 120_000), idempotencyKey: randomUUID(), properties: { collection: 'a' } },
      { tenantId: fresh, meter: 'quota.points', quantity: '150', timestamp: ago(t, 60_000), idempotencyKey: randomUUID(), properties: { collection: 'a' } },
      { tenantId: fresh, meter: 'quota.points', quantity: '30', timestamp: ago(t, 60_000), idempotencyKey: randomUUID(), properties: { collection: 'b' } },
    ]);
    const res = await t.http.get(`/v1/tenants/${fresh}/entitlements`).set(t.auth(admin)).expect(200);
    expect(res.body).toEqual({
      tenantId: fresh, status: 'active', generatedAt: expect.any(String),
      quotas: [
        { meter: 'quota.calls', period: { from: expect.any(String), to: expect.any(String) }, hardLimit: '1000', softLimit: null, used: '13' },
        { meter: 'quota.points', period: { from: expect.any(String), to: expect.any(String) }, hardLimit: '500', softLimit: '400', used: '180' },
      ],
    });
    const now = t.clock.now().getTime();
    expect(Date.parse(res.body.quotas[0].period.from)).toBeLessThanOrEqual(now);
    expect(Date.parse(res.body.quotas[0].period.to)).toBeGreaterThan(now);
    // the in-process service the gateway uses gives the same, and sees a suspended parent
    const service = t.app.get(EntitlementsService, { strict: false });
    expect((await service.forTenant(fresh)).quotas).toEqual(res.body.quotas);
    await t.http.post(`/v1/tenants/${reseller}/suspend`).set(t.auth(admin)).send({ reason: 'unpaid' }).expect(200);
    expect((await service.forTenant(fresh)).status).toBe('suspended');
    await t.http.post(`/v1/tenants/${reseller}/resume`).set(t.auth(admin)).send({}).expect(200);
    expect((await service.forTenant(fresh)).status).toBe('active');
    await expect(service.forTenant(randomUUID())).rejects.toMatchObject({ code: 'tenant.not_found' });
  });

  it('entitlements need usage:read on the tenant', async () => {
    const key = (await t.http.post(`/v1/tenants/${tenant}/api-keys`).set(t.auth(admin)).send({ name: 'x', scopes: ['services:read'] }).expect(201)).body.key;
    expect((await t.http.get(`/v1/tenants/${tenant}/entitlements`).set(t.auth(key))).body.code).toBe('auth.forbidden');
    const member = (await userWithRole(t, admin, tenant, 'tenant_member', `m-${randomUUID()}@example.test`)).accessToken;
    await t.http.get(`/v1/tenants/${tenant}/entitlements`).set(t.auth(member)).expect(200);
  });
});
