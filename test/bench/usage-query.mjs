// Benchmark `usage-query`: GET /v1/tenants/:id/usage (current month, grouped by meter) for random
// tenants among 3,000, with 10,000,000 events in the month, loaded by COPY straight into the
// tables ingestion writes (usage_events and its usage_dedup rows, in time order as they arrive).
// Baseline of the same run: the very statements the endpoint runs (metering's compiled
// UsageQueryRepository), on a plain pg pool, without HTTP, auth and Nest.
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { GAUGE_FIXTURE_PROPERTIES, QUERY_METERS, canonicalTime, contentHashHex, fixtureEvents } from './lib/events.mjs';
import { ROOT, machineInfo, runClient, say, sql, startStack } from './lib/stack.mjs';
import { fmt, int, table } from './lib/stats.mjs';

const TARGET_P99_MS = 5;
const TIME_ZONE = 'Europe/Berlin'; // the tenants' default

/**
 * COPYs the fixture into usage_events and usage_dedup: two connections at once, each fed by its
 * own pass over the same deterministic event sequence, in chunks of 5,000 rows.
 */
export async function loadFixture(databaseUrl, spec) {
  const started = performance.now();
  const series = await gaugeSeries(databaseUrl);
  const copy = async (table, columns, line, progress) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const chunks = function* () {
        let buf = '';
        let n = 0;
        for (const e of fixtureEvents(spec)) {
          buf += line(e);
          if (++n % 5000 === 0) {
            yield buf;
            buf = '';
            if (progress && n % 1_000_000 === 0) say(`    ${int(n)} events copied (${((performance.now() - started) / 1000).toFixed(0)} s)`);
          }
        }
        if (buf) yield buf;
      };
      await pipeline(Readable.from(chunks()), client.query(copyStreams.from(`COPY ${table} (${columns}) FROM STDIN`)));
    } finally {
      await client.end();
    }
  };
  await Promise.all([
    copy('usage_events', 'tenant_id, meter, occurred_at, quantity, idempotency_key, properties, received_at, series',
      (e) => `${e.tenantId}\t${e.meter}\t${canonicalTime(e.ms)}\t${e.quantity}\t${e.idempotencyKey}\t${e.properties ? JSON.stringify(e.properties) : '\\N'}\t${canonicalTime(e.ms + 50)}\t${series(e)}\n`, true),
    copy('usage_dedup', 'tenant_id, idempotency_key, content_hash, occurred_at',
      (e) => `${e.tenantId}\t${e.idempotencyKey}\t\\\\x${contentHashHex(e.meter, e.quantity, canonicalTime(e.ms), e.properties)}\t${canonicalTime(e.ms)}\n`, false),
  ]);
}

/**
 * The series column ingestion writes for a gauge event (`usage_series` of the migration, asked of the
 * database once per meter and properties of the fixture); NULL for other meters.
 */
async function gaugeSeries(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const known = new Map();
  try {
    for (const [meter, properties] of GAUGE_FIXTURE_PROPERTIES) {
      const dimensions = QUERY_METERS.find((m) => m.key === meter).dimensions;
      const { rows } = await client.query(`SELECT encode(usage_series($1::jsonb, $2::jsonb), 'hex') AS hex`, [JSON.stringify(properties), JSON.stringify(dimensions)]);
      known.set(`${meter}\u0000${JSON.stringify(properties)}`, `\\\\x${rows[0].hex}`);
    }
  } finally {
    await client.end();
  }
  const gauges = new Set(QUERY_METERS.filter((m) => m.aggregation === 'latest' || m.aggregation === 'time_weighted').map((m) => m.key));
  return (e) => {
    if (!gauges.has(e.meter)) return '\\N';
    const hex = known.get(`${e.meter}\u0000${JSON.stringify(e.properties)}`);
    if (hex === undefined) throw new Error(`no series for ${e.meter} ${JSON.stringify(e.properties)}: add it to GAUGE_FIXTURE_PROPERTIES`);
    return hex;
  };
}

/** Metering's definition of the usage rollup, as its migration builds it (compiled core/metering). */
function usageRollupRebuild() {
  const require = createRequire(import.meta.url);
  return require(path.join(ROOT, 'core/metering/dist/infrastructure/persistence/migrations/1763900000600-usage-rollup.js')).USAGE_ROLLUP_REBUILD;
}

/** The statements the endpoint runs for one tenant (captured from metering's compiled repository). */
async function capturedStatements(meters, tenantId) {
  const require = createRequire(import.meta.url);
  require('reflect-metadata');
  const { UsageQueryRepository } = require(path.join(ROOT, 'core/metering/dist/infrastructure/persistence/usage-query.repository.js'));
  const { monthOf } = require(path.join(ROOT, 'core/metering/dist/domain/periods.js'));
  const captured = [];
  // a transaction as the repository sees one: its statements go to the transaction's connection
  const connection = { query: async ({ text, values }) => (captured.push({ text, values }), { rows: [] }) };
  const tx = { queryRunner: { isReleased: false, connect: async () => connection } };
  const now = new Date();
  const { from, to } = monthOf(now, TIME_ZONE);
  const scope = { tenantIds: [tenantId], from, to, until: new Date(Math.min(to.getTime(), now.getTime())), timeZone: TIME_ZONE, groupBy: { kind: 'meter' } };
  const specs = meters.map((m) => ({ key: m.key, aggregation: m.aggregation, valueProperty: null, dimensions: m.dimensions }));
  await new UsageQueryRepository().usage(tx, scope, specs);
  return { statements: captured, from, to };
}

export async function runUsageQuery(options) {
  const tenantCount = options.tenants ?? 3000;
  const count = options.fixtureEvents;
  const stack = await startStack({ name: 'bench-usage-query' });
  const problems = [];
  const notes = [];
  try {
    const db = await sql(stack.databaseUrl);
    const machine = await machineInfo(stack.databaseUrl);
    let t = performance.now();
    say(`creating ${tenantCount} tenants over HTTP ...`);
    const tenants = await stack.admin.createTenants(tenantCount, { parallel: 8 });
    const tenantsSeconds = (performance.now() - t) / 1000;
    const meters = QUERY_METERS.map(({ share: _share, ...m }) => m);
    await stack.admin.registerMeters(meters);
    const apiKey = await stack.admin.createApiKey(['usage:read']);
    const jwt = stack.admin.token;

    const now = Date.now();
    const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
    const fromMs = monthStart;
    const toMs = now - 60_000;
    say(`loading ${int(count)} events of ${tenantCount} tenants (${new Date(fromMs).toISOString()} .. ${new Date(toMs).toISOString()}) by COPY into usage_events and usage_dedup ...`);
    t = performance.now();
    await loadFixture(stack.databaseUrl, { tenants, count, fromMs, toMs });
    const loadSeconds = (performance.now() - t) / 1000;
    // the usage rollup as ingestion and the maintenance's folding leave it: one row per tenant,
    // meter and UTC day of the sum and count meters (metering's own definition of it)
    say(`    loaded in ${loadSeconds.toFixed(0)} s; the usage rollup of these events (USAGE_ROLLUP_REBUILD) ...`);
    t = performance.now();
    await db.query(usageRollupRebuild());
    const rollupBuildSeconds = (performance.now() - t) / 1000;
    say(`    built in ${rollupBuildSeconds.toFixed(0)} s; VACUUM ANALYZE (what autovacuum does after a load) ...`);
    t = performance.now();
    await db.query('VACUUM ANALYZE usage_events');
    await db.query('VACUUM ANALYZE usage_dedup');
    await db.query('VACUUM ANALYZE usage_rollup');
    const vacuumSeconds = (performance.now() - t) / 1000;
    const sizes = (await db.query(`SELECT
        pg_size_pretty(pg_total_relation_size('usage_events_p' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMM'))) AS events_partition,
        pg_size_pretty(pg_relation_size('usage_events_p' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMM'))) AS events_heap,
        pg_size_pretty(pg_total_relation_size('usage_dedup')) AS dedup,
        pg_size_pretty(pg_total_relation_size('usage_rollup')) AS rollup, (SELECT count(*) FROM usage_rollup)::bigint AS rollup_rows,
        (SELECT count(*) FROM usage_events)::bigint AS events, (SELECT count(*) FROM usage_dedup)::bigint AS dedup_rows`)).rows[0];
    if (Number(sizes.events) !== count) problems.push(`usage_events holds ${sizes.events} rows, expected ${count}`);
    say(`    ${JSON.stringify(sizes)}`);

    // the answer is right: the API's sums equal the table's for one tenant
    const probe = tenants[0];
    const answer = await stack.admin.call('GET', `/v1/tenants/${probe}/usage`);
    const direct = (await db.query(`SELECT meter, sum(quantity)::text AS s, count(*)::text AS c FROM usage_events WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3 GROUP BY meter`,
      [probe, answer.from, answer.to])).rows;
    for (const m of ['llm.tokens', 'search.queries']) {
      const api = answer.items.find((i) => i.meter === m)?.value;
      const expected = direct.find((r) => r.meter === m)?.s;
      if (api !== expected) problems.push(`usage of ${m} for ${probe}: API ${api}, SQL ${expected}`);
    }
    const requestsApi = answer.items.find((i) => i.meter === 'llm.requests')?.value;
    if (requestsApi !== direct.find((r) => r.meter === 'llm.requests')?.c) problems.push(`llm.requests count differs: API ${requestsApi}`);

    // the plan of the main statement, as evidence: the generic plan the API's reader runs
    // (preparedQuery with plan 'generic': the session plans it once for any parameters)
    const { statements } = await capturedStatements(meters, tenants[1]);
    const plans = [];
    await db.query('SET plan_cache_mode = force_generic_plan');
    for (const s of statements) {
      const plan = (await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${s.text}`, s.values)).rows.map((r) => r['QUERY PLAN']).join('\n');
      plans.push(plan);
    }
    await db.query('RESET plan_cache_mode');

    const perTarget = Math.max(10, Math.round(options.requests / 10));
    const targets = [
      { label: 'API, API key', kind: 'http', base: stack.apiUrl, path: '/v1/tenants/{tenant}/usage', headers: { authorization: `Bearer ${apiKey}` }, tenants, seed: 1 },
      { label: 'API, JWT', kind: 'http', base: stack.apiUrl, path: '/v1/tenants/{tenant}/usage', headers: { authorization: `Bearer ${jwt}` }, tenants, seed: 2 },
      { label: 'SQL via pg (baseline)', kind: 'sql-usage', databaseUrl: stack.databaseUrl, meters, tenants, timeZone: TIME_ZONE, expectRows: true, seed: 3 },
    ];
    say(`latency, 1 request at a time: ${int(perTarget * 10)} requests per target in 10 interleaved blocks (after 300 warm-up requests each) ...`);
    const sequential = await runClient({ kind: 'latency', targets, concurrency: 1, warmup: 300, blockSize: perTarget, blocks: 10, label: 'sequential' });
    say('latency, 4 requests at a time ...');
    const parallel = await runClient({ kind: 'latency', targets, concurrency: 4, warmup: 100, blockSize: perTarget, blocks: 10, label: 'concurrency 4' });

    // What-if: the sum/count answers from the usage index alone, without the rollup (the
    // statement before the rollup) — not the product's SQL; for comparison (docs/performance.md).
    say('what-if: sum/count from the usage index alone (without the rollup) ...');
    const monthFrom = answer.from;
    const monthTo = answer.to;
    const sumCount = `SELECT e.meter, sum(e.quantity)::text AS value, count(*) AS events FROM usage_events e
      WHERE e.tenant_id = $1 AND e.meter = ANY($2::text[]) AND e.occurred_at >= $3 AND e.occurred_at < $4 AND e.voided_at IS NULL GROUP BY e.meter`;
    const sumKeys = QUERY_METERS.filter((m) => m.aggregation === 'sum' || m.aggregation === 'count').map((m) => m.key);
    const whatIf = (label, text) => ({ label, kind: 'sql', databaseUrl: stack.databaseUrl, sql: text, params: ['{tenant}', sumKeys, monthFrom, monthTo], tenants, expectRows: true, seed: 4 });
    const coveringPlan = (await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${sumCount}`, [tenants[2], sumKeys, monthFrom, monthTo])).rows.map((r) => r['QUERY PLAN']).join('\n');
    const whatIfs = await runClient({
      kind: 'latency', concurrency: 1, warmup: 300, blockSize: perTarget, blocks: 10, label: 'what-if',
      targets: [whatIf('sum/count from the usage index alone (no rollup)', sumCount)],
    });
    await db.end();
    const whatIfRuns = { usageIndex: whatIfs.targets[0], coveringPlan };

    for (const run of [sequential, parallel, whatIfs]) {
      for (const target of run.targets) if (target.errors.count) problems.push(`${run.label} ${target.label}: ${target.errors.count} errors, e.g. ${target.errors.samples[0]}`);
    }
    const [apiKeySeq, jwtSeq, sqlSeq] = sequential.targets;
    const met = apiKeySeq.totalMs.p99 <= TARGET_P99_MS;
    const rows = [['measure', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'p99 / baseline p99', 'target', 'met']];
    for (const run of [sequential, parallel]) {
      const base = run.targets[2].totalMs;
      for (const target of run.targets) {
        const s = target.totalMs;
        const isTarget = run === sequential && target === apiKeySeq;
        rows.push([`${run.label === 'sequential' ? 'c=1' : 'c=4'}: ${target.label}`, fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.p999), fmt(s.p99 / base.p99),
          isTarget ? `p99 <= ${TARGET_P99_MS}` : '', isTarget ? (met ? 'yes' : 'NO') : '']);
      }
    }
    for (const target of whatIfs.targets) {
      const x = target.totalMs;
      rows.push([`what-if c=1: ${target.label}`, fmt(x.p50), fmt(x.p90), fmt(x.p99), fmt(x.p999), fmt(x.p99 / sqlSeq.totalMs.p99), '', '']);
    }
    return {
      name: 'usage-query',
      whatIf: whatIfRuns,
      machine,
      settings: { tenants: tenantCount, fixtureEvents: count, meters: QUERY_METERS.map((m) => `${m.key} (${m.aggregation}, ${Math.round(m.share * 100)} %)`), timeZone: TIME_ZONE, fixtureRange: [new Date(fromMs).toISOString(), new Date(toMs).toISOString()], requestsPerTarget: perTarget * 10 },
      fixture: { tenantsSeconds, loadSeconds, rollupBuildSeconds, vacuumSeconds, sizes },
      sequential, parallel,
      plans,
      summary: { apiP50Ms: apiKeySeq.totalMs.p50, apiP99Ms: apiKeySeq.totalMs.p99, jwtP99Ms: jwtSeq.totalMs.p99, baselineP50Ms: sqlSeq.totalMs.p50, baselineP99Ms: sqlSeq.totalMs.p99, ratioP99: apiKeySeq.totalMs.p99 / sqlSeq.totalMs.p99 },
      targets: { p99Ms: { target: TARGET_P99_MS, met } },
      problems, notes,
      table: `fixture: ${int(count)} events of ${tenantCount} tenants, loaded in ${loadSeconds.toFixed(0)} s (+ ${vacuumSeconds.toFixed(0)} s VACUUM ANALYZE); month partition ${sizes.events_partition} (heap ${sizes.events_heap}), usage_dedup ${sizes.dedup}, usage_rollup ${sizes.rollup} (${int(Number(sizes.rollup_rows))} rows, built in ${rollupBuildSeconds.toFixed(0)} s)\n${table(rows)}`,
    };
  } finally {
    await stack.stop();
  }
}
