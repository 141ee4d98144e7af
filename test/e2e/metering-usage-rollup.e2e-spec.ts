// The usage rollup (sum and count per tenant, meter and UTC day, migration 1763900000600): a usage
// question grouped by meter reads whole UTC days from it and the rest of its range from the
// events. Its answers must be exactly what the events alone say — for ranges that start and end
// anywhere, in zones whose midnight is not a UTC midnight (Berlin, Kathmandu at +05:45), for
// subtrees, after re-sent and voided events, and before and after maintenance folds the rows
// ingestion appended (one per batch, tenant, meter and day) into one per day.
import { randomUUID } from 'node:crypto';
import { foldUsageRollup, USAGE_ROLLUP_OF_EVENTS } from '@werkbank/metering';
import { ingest, prng, registerMeters, usageOf } from '../support/metering';
import { startTestApp, TestApp } from '../support/test-app';

interface Sent { tenantId: string; meter: string; quantity: string; timestamp: string; idempotencyKey: string; properties?: Record<string, unknown> }

describe('usage rollup', () => {
  let t: TestApp;
  let admin: string;
  let berlin: string;
  let child: string;
  let kathmandu: string;
  const sent: Sent[] = [];
  const random = prng(20261123);

  /** What the events alone say for the tenants in [from, to): sum, count and max per meter (the statements before the rollup). */
  async function fromEvents(tenantIds: string[], from: string, to: string): Promise<Record<string, string>> {
    const rows: Array<{ meter: string; total: string; n: string; peak: string }> = await t.dataSource.query(
      `SELECT meter, sum(quantity)::text AS total, count(*)::text AS n, max(quantity)::text AS peak FROM usage_events
        WHERE tenant_id = ANY($1::uuid[]) AND occurred_at >= $2 AND occurred_at < $3 AND voided_at IS NULL GROUP BY meter`,
      [tenantIds, from, to],
    );
    const canonical = (v: string) => v.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
    return Object.fromEntries(rows.map((r) => [r.meter, r.meter === 'r.calls' ? r.n : r.meter === 'r.peak' ? canonical(r.peak) : canonical(r.total)]));
  }

  /** Asks the API for each range and compares with the events; returns how many answers had values. */
  async function expectExact(): Promise<number> {
    const ranges: Array<Record<string, string>> = [
      {}, // the current month in the tenant's zone
      { from: '2026-10-01', to: '2026-11-01' },
      { from: '2026-10-07T05:17:00+02:00', to: '2026-11-03T19:45:30Z' },
      { from: '2026-10-12T00:00:00Z', to: '2026-11-12T00:00:00Z' }, // on UTC midnights: no slice of events at either end
      { from: '2026-10-20T03:00:00Z', to: '2026-10-20T21:00:00Z' }, // inside one day: no whole day at all
      { from: '2026-10-19T23:59:59.999Z', to: '2026-10-21T00:00:00.001Z' },
    ];
    let answered = 0;
    for (const [tenantId, subtree] of [[berlin, false], [kathmandu, false], [child, false], [berlin, true]] as const) {
      for (const range of ranges) {
        const res = await t.http.get(`/v1/tenants/${tenantId}/usage`).query({ ...range, ...(subtree ? { subtree: 'true' } : {}) }).set(t.auth(admin)).expect(200);
        const api = Object.fromEntries((res.body.items as Array<{ meter: string; value: string }>).filter((i) => i.meter.startsWith('r.')).map((i) => [i.meter, i.value]));
        const tenants = subtree ? [berlin, child] : [tenantId];
        expect({ tenantId, subtree, range, usage: api }).toEqual({ tenantId, subtree, range, usage: await fromEvents(tenants, res.body.from, res.body.to) });
        if (Object.keys(api).length) answered += 1;
      }
    }
    return answered;
  }

  const rollupRows = async () => Number((await t.dataSource.query(`SELECT count(*) FROM usage_rollup WHERE tenant_id = ANY($1::uuid[])`, [[berlin, child, kathmandu]]))[0].count);

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
    t.clock.freeze('2026-11-20T12:00:00Z');
    await registerMeters(t, [
      { key: 'r.tokens', unit: 'token', aggregation: 'sum', dimensions: ['model'] },
      { key: 'r.calls', unit: 'call', aggregation: 'count' },
      { key: 'r.peak', unit: 'request', aggregation: 'max' },
    ]);
    berlin = (await t.createTenant({ timeZone: 'Europe/Berlin' })).id;
    child = (await t.createTenant({ parentId: berlin, timeZone: 'Europe/Berlin' })).id;
    kathmandu = (await t.createTenant({ timeZone: 'Asia/Kathmandu' })).id;
    const start = Date.parse('2026-10-07T00:00:00Z'); // the 45-day window reaches back to Oct 6, 12:00
    const end = Date.parse('2026-11-20T11:00:00Z');
    const tenants = [berlin, child, kathmandu];
    const meters = ['r.tokens', 'r.calls', 'r.peak'];
    // six batches of 150 in random order of time, so a tenant's day gets a rollup row from several batches
    for (let batch = 0; batch < 6; batch++) {
      const events: Sent[] = [];
      for (let i = 0; i < 150; i++) {
        const digits = Math.floor(random() * 4);
        const quantity = (random() * 1000).toFixed(digits);
        events.push({
          tenantId: tenants[Math.floor(random() * tenants.length)], meter: meters[Math.floor(random() * meters.length)], quantity,
          timestamp: new Date(start + Math.floor(random() * (end - start))).toISOString(), idempotencyKey: randomUUID(), properties: { model: random() < 0.5 ? 'a' : 'b' },
        });
      }
      // a few edge instants: the first and last millisecond of UTC and local days
      events.push({ tenantId: berlin, meter: 'r.tokens', quantity: '0.001', timestamp: '2026-10-19T23:59:59.999Z', idempotencyKey: randomUUID() });
      events.push({ tenantId: berlin, meter: 'r.calls', quantity: '1', timestamp: '2026-10-21T00:00:00.000Z', idempotencyKey: randomUUID() });
      events.push({ tenantId: kathmandu, meter: 'r.tokens', quantity: '7', timestamp: '2026-10-31T18:15:00.000Z', idempotencyKey: randomUUID() }); // Nov 1, 00:00 in Kathmandu
      const answer = await ingest(t, admin, events);
      expect(answer).toEqual({ accepted: events.length, duplicates: 0, rejected: [] });
      sent.push(...events);
    }
    // re-sent events are duplicates and add nothing
    const again = await ingest(t, admin, sent.slice(0, 200));
    expect(again).toEqual({ accepted: 0, duplicates: 200, rejected: [] });
  });
  afterAll(() => t?.close());

  it('answers exactly what the events say, for ranges that start and end anywhere, in Berlin and Kathmandu, for subtrees', async () => {
    expect(await expectExact()).toBeGreaterThan(15);
  });

  it('voided events leave the answers; a meter whose events in a range are all voided leaves the answer', async () => {
    const voided = sent.filter((e) => e.tenantId === kathmandu && (e.meter === 'r.calls' || random() < 0.3)).map((e) => e.idempotencyKey);
    const res = await t.http.post('/v1/usage/events/void').set(t.auth(admin)).send({ tenantId: kathmandu, idempotencyKeys: voided }).expect(200);
    expect(res.body.voided).toBe(voided.length);
    await expectExact();
    const october = await usageOf(t, admin, kathmandu, { from: '2026-10-01', to: '2026-11-01' });
    expect(october['r.calls']).toBeUndefined();
    expect(october['r.tokens']).toBeDefined();
  });

  it('maintenance folds the rows of a tenant, meter and day into one, equal to the rollup of the events, and no answer changes', async () => {
    const before = await rollupRows();
    const folded = await foldUsageRollup(t.dataSource, null);
    expect(folded.folded).toBeGreaterThan(0);
    const after = await rollupRows();
    expect(after).toBeLessThan(before);
    const [{ groups }] = await t.dataSource.query(`SELECT count(DISTINCT (tenant_id, meter, day))::int AS groups FROM usage_rollup`);
    expect(Number((await t.dataSource.query(`SELECT count(*)::int AS n FROM usage_rollup`))[0].n)).toBe(groups);
    const differences = await t.dataSource.query(
      `WITH expected AS (${USAGE_ROLLUP_OF_EVENTS}), actual AS (SELECT tenant_id, meter, day, quantity, events FROM usage_rollup)
       (SELECT 'missing' AS side, * FROM expected EXCEPT SELECT 'missing', * FROM actual)
       UNION ALL (SELECT 'extra', * FROM actual EXCEPT SELECT 'extra', * FROM expected)`,
    );
    expect(differences).toEqual([]);
    await expectExact();
    // folding again finds nothing to do
    expect(await foldUsageRollup(t.dataSource, null)).toEqual({ folded: 0, removed: 0 });
  });

  it('events recorded after a fold, late ones into old days included, count at once', async () => {
    const late = [
      { tenantId: berlin, meter: 'r.tokens', quantity: '12.5', timestamp: '2026-10-09T08:00:00Z', idempotencyKey: randomUUID() },
      { tenantId: child, meter: 'r.calls', quantity: '1', timestamp: '2026-10-09T09:00:00Z', idempotencyKey: randomUUID() },
      { tenantId: kathmandu, meter: 'r.calls', quantity: '1', timestamp: '2026-10-15T09:00:00Z', idempotencyKey: randomUUID() },
    ];
    expect((await ingest(t, admin, late)).accepted).toBe(3);
    await expectExact();
    expect((await usageOf(t, admin, kathmandu, { from: '2026-10-01', to: '2026-11-01' }))['r.calls']).toBe('1');
  });
});
