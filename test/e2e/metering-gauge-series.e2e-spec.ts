// The gauge statements (latest, time_weighted) read the series stored at ingestion from the gauge
// index. They must answer what the statements that computed each series from the events'
// properties answered before (kept here as the reference), for every grouping, subtrees, voids,
// samples before the range, equal timestamps and odd dimension values.
import { randomUUID } from 'node:crypto';
import { ingest, prng, registerMeters, usageOf } from '../support/metering';
import { METERING_MIGRATIONS } from '@werkbank/metering';
import { startTestApp, TestApp } from '../support/test-app';

const LOCAL_FORMAT = { day: 'YYYY-MM-DD', hour: 'YYYY-MM-DD"T"HH24' } as const;
const LOOKBACK_MS = 45 * 86_400_000;

type Grouping = 'meter' | 'day' | 'hour' | { dimension: string };

/** The statements before the stored series: each sample's series from its properties, read from the table. */
function referenceSql(kind: 'latest' | 'time_weighted', g: Grouping): string {
  const groupOf = (alias: string) => g === 'day' || g === 'hour' ? `to_char(${alias}.occurred_at AT TIME ZONE $4, '${LOCAL_FORMAT[g]}')`
    : g === 'meter' ? 'NULL::text' : `${alias}.properties ->> $5`;
  const seriesOf = (e: string) => `ARRAY(SELECT ${e}.properties ->> d FROM jsonb_array_elements_text(m.dims::jsonb) d)`;
  // every parameter typed, also those a grouping does not use
  const m = `p AS (SELECT $1::uuid[], $2::timestamptz, $3::timestamptz, $4::text, $5::text, $8::timestamptz, $9::timestamptz),
    m AS (SELECT * FROM unnest($6::text[], $7::text[]) AS m(key, dims))`;
  if (kind === 'latest') {
    return `
      WITH ${m}, s AS (
        SELECT e.meter, ${groupOf('e')} AS grp, e.tenant_id, ${seriesOf('e')} AS series, e.quantity, e.occurred_at, e.received_at, e.idempotency_key
          FROM usage_events e JOIN m ON m.key = e.meter
         WHERE e.tenant_id = ANY($1::uuid[]) AND e.occurred_at >= $2 AND e.occurred_at < $3 AND e.voided_at IS NULL
      ), last AS (
        SELECT DISTINCT ON (meter, grp, tenant_id, series) meter, grp, quantity FROM s
         ORDER BY meter, grp, tenant_id, series, occurred_at DESC, received_at DESC, idempotency_key DESC
      )
      SELECT meter, grp, sum(quantity)::text AS value FROM last GROUP BY meter, grp`;
  }
  const buckets = g === 'day' || g === 'hour'
    ? `steps AS (
         SELECT $2::timestamptz AS t
         UNION
         SELECT generate_series(date_bin('15 minutes', $2::timestamptz, TIMESTAMPTZ 'epoch') + interval '15 minutes', $3::timestamptz - interval '1 microsecond', interval '15 minutes')
       ), labelled AS (
         SELECT to_char(t AT TIME ZONE $4, '${LOCAL_FORMAT[g]}') AS label, min(t) AS s FROM steps GROUP BY 1
       ), buckets AS (
         SELECT label, s, coalesce(lead(s) OVER (ORDER BY s), $3::timestamptz) AS e FROM labelled
       )`
    : `buckets AS (SELECT NULL::text AS label, $2::timestamptz AS s, $3::timestamptz AS e)`;
  const group = g === 'day' || g === 'hour' ? 'b.label' : g === 'meter' ? 'NULL::text' : 'seg.properties ->> $5';
  return `
    WITH ${m}, samples AS (
      SELECT e.tenant_id, e.meter, ${seriesOf('e')} AS series, e.occurred_at AS t, 1 AS rank, e.received_at, e.idempotency_key, e.quantity, e.properties
        FROM usage_events e JOIN m ON m.key = e.meter
       WHERE e.tenant_id = ANY($1::uuid[]) AND e.occurred_at >= $2 AND e.occurred_at < $8 AND e.voided_at IS NULL
      UNION ALL
      (SELECT DISTINCT ON (c.tenant_id, c.meter, c.series) c.tenant_id, c.meter, c.series, $2::timestamptz, 0, c.received_at, c.idempotency_key, c.quantity, c.properties
        FROM (SELECT e.tenant_id, e.meter, ${seriesOf('e')} AS series, e.occurred_at, e.received_at, e.idempotency_key, e.quantity, e.properties
                FROM usage_events e JOIN m ON m.key = e.meter
               WHERE e.tenant_id = ANY($1::uuid[]) AND e.occurred_at >= $9 AND e.occurred_at < $2 AND e.voided_at IS NULL) c
       ORDER BY c.tenant_id, c.meter, c.series, c.occurred_at DESC, c.received_at DESC, c.idempotency_key DESC)
    ), seg AS (
      SELECT meter, quantity, properties, t AS s,
             coalesce(lead(t) OVER (PARTITION BY tenant_id, meter, series ORDER BY t, rank, received_at, idempotency_key), $8::timestamptz) AS e
        FROM samples
    ), ${buckets}
    SELECT seg.meter, ${group} AS grp,
           sum(seg.quantity * extract(epoch FROM least(seg.e, b.e) - greatest(seg.s, b.s)) / extract(epoch FROM b.e - b.s))::text AS value
      FROM seg JOIN buckets b ON seg.s < b.e AND seg.e > b.s AND seg.e > seg.s
     GROUP BY seg.meter, grp`;
}

const METERS = [
  { key: 'gs.points', unit: 'point', aggregation: 'latest' as const, dimensions: ['region', 'tier'] },
  { key: 'gs.slots', unit: 'slot', aggregation: 'latest' as const, dimensions: [] },
  { key: 'gs.bytes', unit: 'byte', aggregation: 'time_weighted' as const, dimensions: ['region', 'tier'] },
  { key: 'gs.seats', unit: 'seat', aggregation: 'time_weighted' as const, dimensions: [] },
];

describe('gauge statements over the stored series', () => {
  let t: TestApp;
  let admin: string;
  let parent: string;
  let child: string;
  const timeZone = 'Europe/Berlin';

  beforeAll(async () => {
    t = await startTestApp();
    admin = await t.adminToken();
    // Summer time in Berlin ends on 2026-10-25: a 25-hour day and a repeated hour inside the ranges.
    t.clock.freeze('2026-10-28T12:00:00Z');
    await registerMeters(t, METERS);
    parent = (await t.createTenant({ timeZone })).id;
    child = (await t.createTenant({ parentId: parent, timeZone })).id;

    const random = prng(4242);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    // missing, JSON null, a number and the same digits as text (one series before: ->> gives '1' for both), odd text
    const regions: unknown[] = [undefined, null, 'eu', 'us', 1, '1', 'a,b', '{x}', 'NULL', '"q"'];
    const tiers: unknown[] = [undefined, 'free', 'pro'];
    const start = Date.parse('2026-09-15T00:00:00Z'); // before the ranges: carried in, or out of the 45-day look-back
    const end = Date.parse('2026-10-28T11:00:00Z');
    // a handful of instants shared by many samples: ties are broken by received_at, then the key
    const shared = Array.from({ length: 6 }, () => start + Math.floor(random() * (end - start) / 60_000) * 60_000);
    const batches: Array<Array<Record<string, unknown>>> = [];
    const keys = new Map<string, string[]>();
    for (let b = 0; b < 4; b++) {
      const batch: Array<Record<string, unknown>> = [];
      for (let i = 0; i < 150; i++) {
        const tenantId = random() < 0.7 ? parent : child;
        const meter = pick(METERS).key;
        const at = random() < 0.15 ? pick(shared) : start + Math.floor(random() * (end - start));
        let properties: Record<string, unknown> | undefined;
        if (random() < 0.9) {
          properties = {};
          const region = pick(regions);
          const tier = pick(tiers);
          if (region !== undefined) properties.region = region;
          if (tier !== undefined) properties.tier = tier;
          if (random() < 0.3) properties.note = `n${i}`; // not a dimension: the same series
        }
        const idempotencyKey = `gs-${randomUUID()}`;
        batch.push({ tenantId, meter, quantity: String(Math.floor(random() * 100_000) / 100), timestamp: new Date(at).toISOString(), idempotencyKey, ...(properties ? { properties } : {}) });
        keys.set(tenantId, [...(keys.get(tenantId) ?? []), idempotencyKey]);
      }
      batches.push(batch);
    }
    for (const [b, batch] of batches.entries()) {
      t.clock.freeze(new Date(Date.parse('2026-10-28T12:00:00Z') + b * 1000)); // batches received at different times
      const res = await ingest(t, admin, batch);
      expect(res.rejected).toEqual([]);
    }
    t.clock.freeze('2026-10-28T12:00:10Z');
    for (const [tenantId, all] of keys) {
      const voided = all.filter(() => random() < 0.15);
      await t.http.post('/v1/usage/events/void').set(t.auth(admin)).send({ tenantId, idempotencyKeys: voided }).expect(200);
    }
  });
  afterAll(() => t?.close());

  it('stores a series for gauge events only, the same for {} and a missing properties object', async () => {
    const rows: Array<{ gauge: boolean; with_series: number; without: number }> = await t.dataSource.query(
      `SELECT m.aggregation IN ('latest', 'time_weighted') AS gauge, count(e.series)::int AS with_series, count(*) FILTER (WHERE e.series IS NULL)::int AS without
         FROM usage_events e JOIN meters m ON m.key = e.meter WHERE e.tenant_id = ANY($1::uuid[]) GROUP BY 1`, [[parent, child]]);
    expect(rows.filter((r) => r.gauge).map((r) => r.without)).toEqual([0]);
    const [{ same }] = await t.dataSource.query(`SELECT usage_series(NULL, '["region"]') = usage_series('{"tier": "x"}', '["region"]') AND usage_series('{"region": 1}', '["region"]') = usage_series('{"region": "1"}', '["region"]') AND usage_series('{"region": "NULL"}', '["region"]') <> usage_series('{}', '["region"]') AS same`);
    expect(same).toBe(true);
  });

  const ranges = [
    { from: '2026-10-01', to: '2026-11-01' }, // the current month: integrated up to now
    { from: '2026-10-20', to: '2026-10-27' }, // past days, the 25-hour day included
    { from: '2026-10-25T00:30:00Z', to: '2026-10-25T03:15:00Z' }, // inside the repeated hour, off the hour
  ];
  const groupings: Grouping[] = ['meter', 'day', 'hour', { dimension: 'region' }, { dimension: 'tier' }, { dimension: 'absent' }];
  const label = (g: Grouping) => typeof g === 'string' ? g : g.dimension;

  /** The API's gauge answer and the reference's, as maps "meter|group" -> value. */
  async function both(range: { from: string; to: string }, g: Grouping, subtree: boolean) {
    const query = { ...range, groupBy: label(g), ...(subtree ? { subtree: 'true' } : {}) };
    const res = await t.http.get(`/v1/tenants/${parent}/usage`).query(query).set(t.auth(admin)).expect(200);
    const from = new Date(res.body.from);
    const to = new Date(res.body.to);
    const until = new Date(Math.min(to.getTime(), t.clock.now().getTime()));
    const expected: Record<string, string> = {};
    for (const kind of ['latest', 'time_weighted'] as const) {
      const meters = METERS.filter((m) => m.aggregation === kind);
      const rows: Array<{ meter: string; grp: string | null; value: string }> = await t.dataSource.query(referenceSql(kind, g), [
        subtree ? [parent, child] : [parent], from, to, timeZone, typeof g === 'string' ? null : g.dimension,
        meters.map((m) => m.key), meters.map((m) => JSON.stringify(m.dimensions)), until, new Date(from.getTime() - LOOKBACK_MS),
      ]);
      for (const r of rows) expected[r.grp === null ? r.meter : `${r.meter}|${r.grp}`] = stripZeros(r.value);
    }
    const actual = await usageOf(t, admin, parent, query);
    return { actual: Object.fromEntries(Object.entries(actual).filter(([k]) => k.startsWith('gs.'))), expected };
  }

  for (const range of ranges) {
    for (const g of groupings) {
      for (const subtree of [false, true]) {
        it(`answers as before: ${range.from}..${range.to}, groupBy ${label(g)}${subtree ? ', subtree' : ''}`, async () => {
          const { actual, expected } = await both(range, g, subtree);
          expect(Object.keys(actual).length).toBeGreaterThan(0);
          expect(actual).toEqual(expected);
        });
      }
    }
  }

  it('a gauge quota reads the current level from the stored series as before', async () => {
    const now = t.clock.now();
    const from = new Date(now.getTime() - LOOKBACK_MS);
    const rows: Array<{ meter: string; grp: string | null; value: string }> = await t.dataSource.query(referenceSql('latest', 'meter'), [
      [parent], from, new Date(now.getTime() + 1), null, null, METERS.map((m) => m.key), METERS.map((m) => JSON.stringify(m.dimensions)), now, from,
    ]);
    await t.http.put(`/v1/tenants/${parent}/quotas/gs.points`).set(t.auth(admin)).send({ hardLimit: '1000000000' }).expect(201);
    const quotas = (await t.http.get(`/v1/tenants/${parent}/quotas`).set(t.auth(admin)).expect(200)).body;
    const used = (quotas.items ?? quotas).find((q: { meter: string }) => q.meter === 'gs.points').used;
    expect(used).toBe(stripZeros(rows.find((r) => r.meter === 'gs.points')!.value));
  });

  it('the migration fills in the series of the gauge events stored before it', async () => {
    const migration = METERING_MIGRATIONS.find((m) => m.name === 'UsageEventsGaugeSeries1763900000330')!;
    const runner = t.dataSource.createQueryRunner();
    try {
      await new migration().down(runner);
      await new migration().up(runner);
    } finally {
      await runner.release();
    }
    for (const g of ['meter', 'day', { dimension: 'region' }] as Grouping[]) {
      const { actual, expected } = await both(ranges[0], g, true);
      expect(Object.keys(actual).length).toBeGreaterThan(0);
      expect(actual).toEqual(expected);
    }
  });
});

function stripZeros(value: string): string {
  return value.includes('.') ? value.replace(/0+$/, '').replace(/\.$/, '') : value;
}
