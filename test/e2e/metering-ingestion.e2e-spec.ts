// Usage ingestion through POST /v1/usage/events: per-event checks, deduplication, permissions,
// the 16 MiB route limit, voiding, and fuzzed bad input that never persists and never 5xx.
import { randomUUID } from 'node:crypto';
import { UsageIngestion } from '@werkbank/metering';
import { ago, eventRows, ingest, prng, registerMeters, usageOf } from '../support/metering';
import { startTestApp, TestApp, userWithRole } from '../support/test-app';

const HOUR = 3600_000;

describe('usage ingestion', () => {
  let t: TestApp;
  let admin: string;
  let tenant: string;
  let other: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
    await registerMeters(t, [
      { key: 'svc.requests', unit: 'request', aggregation: 'sum', dimensions: ['model'] },
      { key: 'svc.calls', unit: 'call', aggregation: 'count' },
    ]);
    tenant = (await t.createTenant()).id;
    other = (await t.createTenant()).id;
  });
  afterAll(() => t?.close());

  const event = (overrides: Record<string, unknown> = {}) => ({
    tenantId: tenant, meter: 'svc.requests', quantity: '1', timestamp: ago(t, HOUR), idempotencyKey: randomUUID(), ...overrides,
  });

  it('records events, committed before the answer, and usage adds them up exactly', async () => {
    const fresh = (await t.createTenant()).id;
    const res = await ingest(t, admin, [
      event({ tenantId: fresh, quantity: '0.1' }), event({ tenantId: fresh, quantity: 0.2 }), event({ tenantId: fresh, quantity: '1500.7' }),
      event({ tenantId: fresh, meter: 'svc.calls', quantity: '99' }),
    ]);
    expect(res).toEqual({ accepted: 4, duplicates: 0, rejected: [] });
    expect(await usageOf(t, admin, fresh)).toEqual({ 'svc.requests': '1501', 'svc.calls': '1' });
  });

  it('one bad event never rejects its neighbours; all rejected still answers 200', async () => {
    const fresh = (await t.createTenant()).id;
    const before = await eventRows(t);
    const res = await ingest(t, admin, [event({ tenantId: fresh }), event({ tenantId: fresh, quantity: -1 }), event({ tenantId: fresh, meter: 'nope' }), event({ tenantId: fresh })]);
    expect(res.accepted).toBe(2);
    expect(res.rejected).toEqual([
      { index: 1, code: 'usage.invalid_quantity', message: expect.any(String) },
      { index: 2, code: 'usage.unknown_meter', message: expect.any(String) },
    ]);
    expect(await eventRows(t)).toEqual({ events: before.events + 2, dedup: before.dedup + 2 });
    const all = await ingest(t, admin, [event({ quantity: 'lots' }), event({ timestamp: 'now' })]);
    expect(all).toEqual({ accepted: 0, duplicates: 0, rejected: [expect.objectContaining({ index: 0, code: 'usage.invalid_quantity' }), expect.objectContaining({ index: 1, code: 'usage.invalid_timestamp' })] });
  });

  it('counts the same event once: again later, twice in a batch, or written differently', async () => {
    const fresh = (await t.createTenant()).id;
    const ts = new Date(t.clock.now().getTime() - HOUR);
    const first = event({ tenantId: fresh, quantity: '1.50', timestamp: ts.toISOString(), properties: { model: 'a', tier: 'pro' } });
    expect(await ingest(t, admin, [first, first])).toEqual({ accepted: 1, duplicates: 1, rejected: [] });
    const rewritten = { ...first, tenantId: fresh.toUpperCase(), quantity: 1.5, timestamp: ts.toISOString().replace('Z', '+00:00'), properties: { tier: 'pro', model: 'a' } };
    expect(await ingest(t, admin, [rewritten])).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
    expect(await usageOf(t, admin, fresh)).toEqual({ 'svc.requests': '1.5' });
  });

  it('the same key with other content is rejected with usage.idempotency_conflict, in a later batch or the same one', async () => {
    const fresh = (await t.createTenant()).id;
    const key = randomUUID();
    await ingest(t, admin, [event({ tenantId: fresh, idempotencyKey: key, quantity: '2' })]);
    const res = await ingest(t, admin, [event({ tenantId: fresh, idempotencyKey: key, quantity: '3' })]);
    expect(res).toEqual({ accepted: 0, duplicates: 0, rejected: [{ index: 0, code: 'usage.idempotency_conflict', message: expect.any(String) }] });
    const inBatch = randomUUID();
    // one timestamp for the three: the first and the third must have the same content
    const at = ago(t, HOUR);
    const same = { tenantId: fresh, idempotencyKey: inBatch, timestamp: at };
    const mixed = await ingest(t, admin, [event({ ...same, quantity: '5' }), event({ ...same, quantity: '6' }), event({ ...same, quantity: '5' })]);
    expect(mixed).toEqual({ accepted: 1, duplicates: 1, rejected: [{ index: 1, code: 'usage.idempotency_conflict', message: expect.any(String) }] });
    // keys are per tenant: the same key for another tenant is another event
    expect((await ingest(t, admin, [event({ tenantId: other, idempotencyKey: key, quantity: '3' })])).accepted).toBe(1);
    expect(await usageOf(t, admin, fresh)).toEqual({ 'svc.requests': '7' });
  });

  it('10 parallel copies of one batch are counted once (the unique key decides)', async () => {
    const fresh = (await t.createTenant()).id;
    const batch = Array.from({ length: 500 }, (_, i) => event({ tenantId: fresh, quantity: String(i) }));
    const answers = await Promise.all(Array.from({ length: 10 }, () => ingest(t, admin, batch)));
    expect(answers.reduce((n, a) => n + a.accepted, 0)).toBe(500);
    expect(answers.reduce((n, a) => n + a.duplicates, 0)).toBe(4500);
    expect(answers.every((a) => a.rejected.length === 0)).toBe(true);
    expect(await usageOf(t, admin, fresh)).toEqual({ 'svc.requests': String((499 * 500) / 2) });
  });

  it('a batch writes one metering.usage_recorded row naming its tenants (with the number recorded), a batch of duplicates none', async () => {
    const [a, b] = [(await t.createTenant()).id, (await t.createTenant()).id];
    const events = [event({ tenantId: a }), event({ tenantId: b, meter: 'svc.calls' }), event({ tenantId: a, meter: 'svc.calls' })];
    const rows = async () => (await t.dataSource.query(
      `SELECT tenant_id, payload FROM outbox_events WHERE type = 'metering.usage_recorded' AND payload->'tenants' @> $1::jsonb`,
      [JSON.stringify([{ tenantId: a }])],
    )) as Array<{ tenant_id: string | null; payload: { accepted: number; tenants: Array<{ tenantId: string; meters: string[] }> } }>;
    expect(await ingest(t, admin, events)).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    const written = await rows();
    expect(written).toHaveLength(1);
    expect(written[0].tenant_id).toBeNull();
    expect(written[0].payload).toMatchObject({ accepted: 3 });
    expect(written[0].payload.tenants.map((x) => [x.tenantId, x.meters]).sort()).toEqual([[a, ['svc.calls', 'svc.requests']], [b, ['svc.calls']]].sort());
    expect(await ingest(t, admin, events)).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
    expect(await rows()).toHaveLength(1);
  });

  describe('a malformed envelope answers 400 and writes nothing', () => {
    test.each([
      ['an array', []],
      ['no events', {}],
      ['events as an object', { events: {} }],
      ['an unknown field', { events: [], extra: 1 }],
      ['10,001 events', { events: new Array(10_001).fill(0) }],
    ])('%s', async (_name, body) => {
      const before = await t.countRows();
      const res = await t.http.post('/v1/usage/events').set(t.auth(admin)).set('Content-Type', 'application/json').send(JSON.stringify(body));
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'request.validation_failed' });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await t.countRows()).toEqual(before);
    });

    it('without credentials: 401', async () => {
      expect((await t.http.post('/v1/usage/events').send({ events: [event()] })).status).toBe(401);
    });
  });

  describe('the body limit of this route is 16 MiB; other routes keep BODY_LIMIT', () => {
    it('takes 10,000 events in a body of about 15 MiB', async () => {
      const fresh = (await t.createTenant()).id;
      const pad = 'p'.repeat(1400);
      const events = Array.from({ length: 10_000 }, (_, i) => event({ tenantId: fresh, idempotencyKey: `big-${i}`, properties: { model: 'm', pad } }));
      const body = JSON.stringify({ events });
      expect(body.length).toBeGreaterThan(14 * 1024 * 1024);
      expect(body.length).toBeLessThan(16 * 1024 * 1024);
      const res = await t.http.post('/v1/usage/events').set(t.auth(admin)).set('Content-Type', 'application/json').send(body);
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(10_000);
    });

    it('answers 413 request.body_too_large above 16 MiB, also streamed without Content-Length', async () => {
      const before = await eventRows(t);
      const body = JSON.stringify({ events: [event({ properties: { pad: 'x'.repeat(16 * 1024 * 1024) } })] });
      const res = await t.http.post('/v1/usage/events').set(t.auth(admin)).set('Content-Type', 'application/json').send(body);
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 413, code: 'request.body_too_large' });
      const { Readable } = await import('node:stream');
      const injected = await t.app.getHttpAdapter().getInstance().inject({
        method: 'POST', url: '/v1/usage/events', payload: Readable.from([Buffer.from('{"events":["'), Buffer.alloc(17 * 1024 * 1024, 'a'), Buffer.from('"]}')]),
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      });
      expect({ status: injected.statusCode, code: injected.json().code }).toEqual({ status: 413, code: 'request.body_too_large' });
      expect(await eventRows(t)).toEqual(before);
    });

    it('another route still answers 413 above BODY_LIMIT (1 MiB)', async () => {
      const res = await t.http.post('/v1/meters').set(t.auth(admin)).send({ key: 'x.y', unit: 'u', aggregation: 'sum', description: 'd'.repeat(2 * 1024 * 1024) });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 413, code: 'request.body_too_large' });
    });
  });

  describe('who may record usage', () => {
    it('a member (usage:read only) is refused per event with usage.tenant_not_found, like a stranger', async () => {
      const member = await userWithRole(t, admin, tenant, 'tenant_member', `member-${randomUUID()}@example.test`);
      const res = await ingest(t, member.accessToken, [event(), event({ tenantId: other }), event({ tenantId: randomUUID() })]);
      expect(res.accepted).toBe(0);
      expect(res.rejected.map((r) => r.code)).toEqual(['usage.tenant_not_found', 'usage.tenant_not_found', 'usage.tenant_not_found']);
      expect(new Set(res.rejected.map((r) => r.message)).size).toBe(1);
    });

    it('an API key with usage:write records for its tenant and the tenants below it, not for others', async () => {
      const child = (await t.createTenant({ parentId: tenant })).id;
      const key = (await t.http.post(`/v1/tenants/${tenant}/api-keys`).set(t.auth(admin)).send({ name: 'collector', scopes: ['usage:write'] }).expect(201)).body.key;
      const res = await ingest(t, key, [event(), event({ tenantId: child }), event({ tenantId: other })]);
      expect(res).toEqual({ accepted: 2, duplicates: 0, rejected: [expect.objectContaining({ index: 2, code: 'usage.tenant_not_found' })] });
      const readOnly = (await t.http.post(`/v1/tenants/${tenant}/api-keys`).set(t.auth(admin)).send({ name: 'reader', scopes: ['usage:read'] }).expect(201)).body.key;
      expect((await ingest(t, readOnly, [event()])).rejected[0].code).toBe('usage.tenant_not_found');
      // and it may read usage
      await t.http.get(`/v1/tenants/${tenant}/usage`).set(t.auth(readOnly)).expect(200);
    });

    it('trusted callers (gateway, collectors) record for any tenant through UsageIngestion', async () => {
      const ingestion = t.app.get(UsageIngestion, { strict: false });
      const res = await ingestion.ingest([event({ tenantId: other }), event({ tenantId: randomUUID() })], { kind: 'trusted', source: 'test' });
      expect(res).toEqual({ accepted: 1, duplicates: 0, rejected: [expect.objectContaining({ index: 1, code: 'usage.tenant_not_found' })] });
    });
  });

  describe('voiding', () => {
    it('voided events leave the usage, stay used keys, and unknown keys are listed', async () => {
      const fresh = (await t.createTenant()).id;
      const events = [event({ tenantId: fresh, quantity: '10' }), event({ tenantId: fresh, quantity: '20' }), event({ tenantId: fresh, quantity: '30' })];
      await ingest(t, admin, events);
      const res = await t.http.post('/v1/usage/events/void').set(t.auth(admin)).send({ tenantId: fresh, idempotencyKeys: [events[0].idempotencyKey, events[1].idempotencyKey, 'never-sent'] });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ voided: 2, notFound: ['never-sent'], invoiced: [] });
      expect(await usageOf(t, admin, fresh)).toEqual({ 'svc.requests': '30' });
      expect(await ingest(t, admin, [events[0]])).toEqual({ accepted: 0, duplicates: 1, rejected: [] });
      // voiding again is harmless
      expect((await t.http.post('/v1/usage/events/void').set(t.auth(admin)).send({ tenantId: fresh, idempotencyKeys: [events[0].idempotencyKey] })).body).toEqual({ voided: 1, notFound: [], invoiced: [] });
      expect(await usageOf(t, admin, fresh)).toEqual({ 'svc.requests': '30' });
    });

    it('a tenant admin cannot void its own usage (403); a stranger gets 404', async () => {
      const fresh = (await t.createTenant()).id;
      const owner = await userWithRole(t, admin, fresh, 'tenant_admin', `owner-${randomUUID()}@example.test`);
      const res = await t.http.post('/v1/usage/events/void').set(t.auth(owner.accessToken)).send({ tenantId: fresh, idempotencyKeys: ['k'] });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 403, code: 'auth.forbidden' });
      const stranger = await t.http.post('/v1/usage/events/void').set(t.auth(owner.accessToken)).send({ tenantId: other, idempotencyKeys: ['k'] });
      expect({ status: stranger.status, code: stranger.body.code }).toEqual({ status: 404, code: 'tenant.not_found' });
    });
  });

  it('fuzzed bad events never answer 5xx and never persist, and never cost a good neighbour', async () => {
    const random = prng(20261123);
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
    const bad: Array<() => unknown> = [
      () => event({ quantity: pick([-1, '-0.5', 'NaN', 'Infinity', '1e309', 1e308 * 10, '9'.repeat(39), '1'.repeat(5000), '', ' 1', '1,5', true, {}, [], null]) }),
      () => event({ timestamp: pick(['9999-12-31T23:59:59Z', new Date(t.clock.now().getTime() + 10 * 60_000).toISOString(), ago(t, 46 * 86_400_000), '1970-01-01T00:00:00Z', '2026-02-30T00:00:00Z', 'yesterday', 17e11, '', null]) }),
      () => event({ tenantId: pick([randomUUID(), 'acme', '', 'x'.repeat(100_000), 5, null, undefined, `${tenant}'; DROP TABLE usage_events; --`]) }),
      () => event({ meter: pick(['nope', '', 'svc.requests ', 'x'.repeat(100_000), 5, null, undefined, 'svc.requests\u0000']) }),
      () => event({ idempotencyKey: pick(['', 'k'.repeat(256), 'k'.repeat(100_000), 5, null, undefined, 'a\u0000b', '\ud800']) }),
      () => event({ properties: pick([{ pad: 'x'.repeat(5000) }, ['a'], 'props', 5, { k: 'a\u0000' }, { ['\udfff']: 1 }]) }),
      () => ({ ...event(), unexpected: pick([1, 'x', null]) }),
      () => pick([null, 5, 'event', [], [event()], true]),
    ];
    const fresh = (await t.createTenant()).id;
    const before = await t.countRows();
    let good = 0;
    let total = 0n;
    for (let round = 0; round < 20; round++) {
      const batch: unknown[] = [];
      const goodIndexes: number[] = [];
      for (let i = 0; i < 50; i++) {
        if (random() < 0.1) {
          const quantity = String(Math.floor(random() * 1000));
          total += BigInt(quantity);
          goodIndexes.push(batch.length);
          batch.push(event({ tenantId: fresh, quantity }));
        } else batch.push(pick(bad)());
      }
      const res = await t.http.post('/v1/usage/events').set(t.auth(admin)).send({ events: batch });
      expect(res.status).toBe(200);
      expect(res.body.accepted).toBe(goodIndexes.length);
      expect(res.body.rejected.map((r: { index: number }) => r.index)).toEqual(batch.map((_, i) => i).filter((i) => !goodIndexes.includes(i)));
      for (const r of res.body.rejected) expect(r.code).toMatch(/^usage\.(tenant_not_found|unknown_meter|invalid_quantity|invalid_timestamp|timestamp_in_future|too_old|invalid_idempotency_key|properties_too_large|invalid_event)$/);
      good += goodIndexes.length;
    }
    const after = await t.countRows();
    // exactly the good events were stored (with one dedup row each): nothing of the 900-odd bad ones
    expect(after.usage_events - before.usage_events).toBe(good);
    expect(after.usage_dedup - before.usage_dedup).toBe(good);
    expect(after.audit_events).toBe(before.audit_events);
    expect((await usageOf(t, admin, fresh))['svc.requests'] ?? '0').toBe(String(total));
  });
});
