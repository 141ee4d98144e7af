// GET /v1/tenants/:id/usage: every aggregation, groupings by meter, local day and hour (across
// the end of summer time in Europe/Berlin) and dimension, subtrees, voided events, access rules.
import { randomUUID } from 'node:crypto';
import { ingest, registerMeters, usageOf } from '../support/metering';
import { startTestApp, TestApp, userWithRole } from '../support/test-app';

const close = (value: string | undefined, expected: number) => {
  expect(value).toBeDefined();
  expect(Math.abs(Number(value) - expected)).toBeLessThan(1e-9);
};

describe('usage queries', () => {
  let t: TestApp;
  let admin: string;
  let tenant: string;
  let child: string;
  const key = () => randomUUID();

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
    // Summer time in Berlin ends on 2026-10-25 at 01:00 UTC: that local day has 25 hours.
    t.clock.freeze('2026-10-28T12:00:00Z');
    await registerMeters(t, [
      { key: 'q.tokens', unit: 'token', aggregation: 'sum', dimensions: ['model'] },
      { key: 'q.calls', unit: 'call', aggregation: 'count' },
      { key: 'q.peak', unit: 'request', aggregation: 'max' },
      { key: 'q.users', unit: 'user', aggregation: 'unique_count', valueProperty: 'userId' },
      { key: 'q.points', unit: 'point', aggregation: 'latest', dimensions: ['collection'] },
      { key: 'storage.bytes', unit: 'byte', aggregation: 'time_weighted', dimensions: ['service'] },
    ]);
    tenant = (await t.createTenant({ timeZone: 'Europe/Berlin' })).id;
    child = (await t.createTenant({ parentId: tenant, timeZone: 'Europe/Berlin' })).id;
    const e = (meter: string, quantity: string, timestamp: string, properties?: Record<string, unknown>, tenantId = tenant) =>
      ({ tenantId, meter, quantity, timestamp, idempotencyKey: key(), ...(properties ? { properties } : {}) });
    const res = await ingest(t, admin, [
      e('q.tokens', '1', '2026-10-24T21:30:00Z', { model: 'a' }), // 23:30 CEST, Oct 24
      e('q.tokens', '2', '2026-10-24T22:30:00Z', { model: 'b' }), // 00:30 CEST, Oct 25
      e('q.tokens', '16', '2026-10-25T00:30:00Z', { model: 'a' }), // 02:30 CEST
      e('q.tokens', '32', '2026-10-25T01:30:00Z', { model: 'a' }), // 02:30 CET: the same local hour again
      e('q.tokens', '4', '2026-10-25T22:30:00Z', { model: 'a' }), // 23:30 CET, Oct 25
      e('q.tokens', '8', '2026-10-25T23:30:00Z'), // 00:30 CET, Oct 26; no model
      e('q.tokens', '1000', '2026-10-25T12:00:00Z', { model: 'a' }, child),
      e('q.calls', '5', '2026-10-24T10:00:00Z'), e('q.calls', '5', '2026-10-25T10:00:00Z'), e('q.calls', '0', '2026-10-26T10:00:00Z'),
      e('q.peak', '5', '2026-10-24T10:00:00Z'), e('q.peak', '17.5', '2026-10-25T10:00:00Z'), e('q.peak', '3', '2026-10-26T10:00:00Z'),
      e('q.users', '1', '2026-10-24T10:00:00Z', { userId: 'u1' }), e('q.users', '1', '2026-10-25T10:00:00Z', { userId: 'u2' }),
      e('q.users', '1', '2026-10-25T11:00:00Z', { userId: 'u1' }), e('q.users', '1', '2026-10-26T10:00:00Z', { userId: 'u3' }),
      e('q.points', '10', '2026-10-24T10:00:00Z', { collection: 'c1' }), e('q.points', '15', '2026-10-25T10:00:00Z', { collection: 'c1' }),
      e('q.points', '100', '2026-10-24T12:00:00Z', { collection: 'c2' }),
      // a gauge sample before the range is carried in; s1 rises to 3000 on Oct 25, 10:00 UTC; s2 starts at local midnight of Oct 25
      e('storage.bytes', '1000', '2026-10-20T00:00:00Z', { service: 's1' }), e('storage.bytes', '3000', '2026-10-25T10:00:00Z', { service: 's1' }),
      e('storage.bytes', '500', '2026-10-24T22:00:00Z', { service: 's2' }),
    ]);
    expect(res.rejected).toEqual([]);
  });
  afterAll(() => t?.close());

  // Oct 24-26 local: 2026-10-23T22:00Z .. 2026-10-26T23:00Z, 73 hours (24 + 25 + 24)
  const range = { from: '2026-10-24', to: '2026-10-27' };

  it('aggregates each meter as it is defined (sum, count, max, unique_count, latest, time_weighted)', async () => {
    const usage = await usageOf(t, admin, tenant, range);
    expect({ ...usage, 'storage.bytes': undefined }).toEqual({
      'q.tokens': '63', 'q.calls': '3', 'q.peak': '17.5', 'q.users': '3', 'q.points': '115', 'storage.bytes': undefined,
    });
    // s1: 36 h at 1000 + 37 h at 3000; s2: 49 h at 500; averaged over 73 h (byte-hours / hours)
    close(usage['storage.bytes'], (36 * 1000 + 37 * 3000 + 49 * 500) / 73);
  });

  it('buckets by local day in the tenant\'s time zone, the 25-hour day included', async () => {
    const usage = await usageOf(t, admin, tenant, { ...range, groupBy: 'day' });
    expect(Object.fromEntries(Object.entries(usage).filter(([k]) => k.startsWith('q.tokens')))).toEqual({
      'q.tokens|2026-10-24': '1', 'q.tokens|2026-10-25': '54', 'q.tokens|2026-10-26': '8',
    });
    expect(usage['q.users|2026-10-25']).toBe('2');
    expect(usage['q.peak|2026-10-25']).toBe('17.5');
    close(usage['storage.bytes|2026-10-24'], 1000);
    close(usage['storage.bytes|2026-10-25'], (12 * 1000 + 13 * 3000) / 25 + 500);
    close(usage['storage.bytes|2026-10-26'], 3500);
  });

  it('buckets by local hour; the hour repeated when summer time ends is one bucket', async () => {
    const usage = await usageOf(t, admin, tenant, { ...range, meter: 'q.tokens', groupBy: 'hour' });
    expect(usage).toEqual({
      'q.tokens|2026-10-24T23': '1', 'q.tokens|2026-10-25T00': '2', 'q.tokens|2026-10-25T02': '48', 'q.tokens|2026-10-25T23': '4', 'q.tokens|2026-10-26T00': '8',
    });
  });

  it('groups by a dimension (events without it in the null group); gauges per series', async () => {
    const tokens = await t.http.get(`/v1/tenants/${tenant}/usage`).query({ ...range, meter: 'q.tokens', groupBy: 'model' }).set(t.auth(admin)).expect(200);
    expect(tokens.body.items).toEqual([
      { meter: 'q.tokens', group: null, value: '8' }, { meter: 'q.tokens', group: 'a', value: '53' }, { meter: 'q.tokens', group: 'b', value: '2' },
    ]);
    const storage = await usageOf(t, admin, tenant, { ...range, meter: 'storage.bytes', groupBy: 'service' });
    close(storage['storage.bytes|s1'], (36 * 1000 + 37 * 3000) / 73);
    close(storage['storage.bytes|s2'], (49 * 500) / 73);
  });

  it('adds up the subtree only when asked', async () => {
    expect((await usageOf(t, admin, tenant, { ...range, meter: 'q.tokens' }))['q.tokens']).toBe('63');
    expect((await usageOf(t, admin, tenant, { ...range, meter: 'q.tokens', subtree: 'true' }))['q.tokens']).toBe('1063');
    expect((await usageOf(t, admin, child, { ...range, meter: 'q.tokens' }))['q.tokens']).toBe('1000');
  });

  it('defaults to the current calendar month in the tenant\'s time zone; `to` is exclusive', async () => {
    const res = await t.http.get(`/v1/tenants/${tenant}/usage`).set(t.auth(admin)).expect(200);
    expect({ from: res.body.from, to: res.body.to }).toEqual({ from: '2026-09-30T22:00:00.000Z', to: '2026-10-31T23:00:00.000Z' });
    const exclusive = await usageOf(t, admin, tenant, { from: '2026-10-24T21:30:00Z', to: '2026-10-24T22:30:00Z', meter: 'q.tokens' });
    expect(exclusive).toEqual({ 'q.tokens': '1' });
  });

  it('leaves voided events out', async () => {
    const fresh = (await t.createTenant()).id;
    const events = ['1', '2'].map((quantity) => ({ tenantId: fresh, meter: 'q.tokens', quantity, timestamp: '2026-10-27T10:00:00Z', idempotencyKey: key() }));
    await ingest(t, admin, events);
    await t.http.post('/v1/usage/events/void').set(t.auth(admin)).send({ tenantId: fresh, idempotencyKeys: [events[1].idempotencyKey] }).expect(200);
    expect(await usageOf(t, admin, fresh)).toEqual({ 'q.tokens': '1' });
  });

  it('members read usage; keys without usage:read get 403; strangers 404', async () => {
    const member = await userWithRole(t, admin, tenant, 'billing_viewer', `viewer-${randomUUID()}@example.test`);
    expect((await usageOf(t, member.accessToken, tenant, { ...range, meter: 'q.calls' }))['q.calls']).toBe('3');
    const apiKey = (await t.http.post(`/v1/tenants/${tenant}/api-keys`).set(t.auth(admin)).send({ name: 'no usage', scopes: ['tenants:read'] }).expect(201)).body.key;
    expect((await t.http.get(`/v1/tenants/${tenant}/usage`).set(t.auth(apiKey))).body.code).toBe('auth.forbidden');
    const stranger = await userWithRole(t, admin, (await t.createTenant()).id, 'tenant_admin', `stranger-${randomUUID()}@example.test`);
    const res = await t.http.get(`/v1/tenants/${tenant}/usage`).set(t.auth(stranger.accessToken));
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 404, code: 'tenant.not_found' });
  });

  it('asked again, answers in the tenant\'s time zone of now, and only while the caller may read it', async () => {
    // The handler remembers each caller's last zone per tenant and runs the usage statement at the
    // same time as the access check: the check and the zone it reads decide, never the remembered one.
    const moving = (await t.createTenant({ timeZone: 'Europe/Berlin' })).id;
    // 03:00 on Oct 27 in Berlin (CET), 22:00 on Oct 26 in New York (EDT)
    expect((await ingest(t, admin, [{ tenantId: moving, meter: 'q.calls', quantity: '1', timestamp: '2026-10-27T02:00:00Z', idempotencyKey: key() }])).accepted).toBe(1);
    const member = await userWithRole(t, admin, moving, 'billing_viewer', `zone-${randomUUID()}@example.test`);
    const ask = (query: Record<string, string> = {}) => t.http.get(`/v1/tenants/${moving}/usage`).query(query).set(t.auth(member.accessToken));
    const days = async () => (await ask({ groupBy: 'day' }).expect(200)).body.items.map((i: { group: string }) => i.group);
    const month = async () => { const body = (await ask().expect(200)).body; return [body.from, body.to]; };

    expect(await month()).toEqual(['2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z']);
    expect(await days()).toEqual(['2026-10-27']);
    await t.http.patch(`/v1/tenants/${moving}`).set(t.auth(admin)).send({ timeZone: 'America/New_York' }).expect(200);
    expect(await month()).toEqual(['2026-10-01T04:00:00.000Z', '2026-11-01T04:00:00.000Z']);
    expect(await days()).toEqual(['2026-10-26']);

    const members = (await t.http.get(`/v1/tenants/${moving}/memberships`).set(t.auth(admin)).expect(200)).body.items as Array<{ membership: { id: string; userId: string } }>;
    const membership = members.find((m) => m.membership.userId === member.userId)!.membership.id;
    await t.http.delete(`/v1/memberships/${membership}`).set(t.auth(admin)).expect(204);
    const refused = await ask();
    expect({ status: refused.status, code: refused.body.code, items: refused.body.items }).toEqual({ status: 404, code: 'tenant.not_found', items: undefined });
  });

  test.each<[string, string, Record<string, string>]>([
    ['from without to', 'to', { from: '2026-10-01' }],
    ['to before from', 'to', { from: '2026-10-05', to: '2026-10-01' }],
    ['a date that does not exist', 'from', { from: '2026-02-30', to: '2026-03-01' }],
    ['a timestamp without offset', 'from', { from: '2026-10-01T00:00:00', to: '2026-10-02' }],
    ['an unknown meter', 'meter', { meter: 'q.nope' }],
    ['subtree=yes', 'subtree', { subtree: 'yes' }],
    ['an unknown parameter', 'limit', { limit: '5' }],
  ])('%s answers 400 naming %s', async (_name, field, query) => {
    const res = await t.http.get(`/v1/tenants/${tenant}/usage`).query(query).set(t.auth(admin));
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'request.validation_failed' });
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
  });
});
