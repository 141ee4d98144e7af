// Benchmark `ingest`: 1,000,000 events through POST /v1/usage/events (4 requests of 1,000 events
// at once, 10 % re-sent duplicates, synchronous_commit on), against baselines measured in every
// round on the same database, directly with pg: the raw baseline — all the events in one
// COPY into a staging table and one INSERT ... ON CONFLICT DO NOTHING into usage_dedup/usage_events
// (the target ratio is against it) — and a stricter one with the API's shape: the same COPY and
// INSERT per 1,000-event batch, four transactions at once.
// Then the time to acknowledgement at a paced 25,000 events/s.
import { INGEST_METERS, ingestPlan, planUnique } from './lib/events.mjs';
import { cpuDelta, cpuSnapshot, machineInfo, runClient, say, sql, startStack } from './lib/stack.mjs';
import { fmt, int, table } from './lib/stats.mjs';

const TARGET_EVENTS_PER_SEC = 80_000;
const TARGET_RATIO = 0.8;

async function counts(db) {
  const { rows } = await db.query(`SELECT (SELECT count(*) FROM usage_events)::int AS events, (SELECT count(*) FROM usage_dedup)::int AS dedup,
    (SELECT count(*) FROM outbox_events)::int AS outbox`);
  return rows[0];
}

/** Runs a client task and adds the CPU seconds the API and PostgreSQL used meanwhile. */
async function measured(stack, task) {
  const before = cpuSnapshot(stack);
  const result = await runClient(task);
  result.cpuSeconds = { ...cpuDelta(before, cpuSnapshot(stack)), client: result.clientCpuSeconds };
  return result;
}

async function reset(db) {
  await db.query('TRUNCATE usage_events, usage_dedup, usage_rollup, outbox_events');
  await db.query('CHECKPOINT');
}

function check(what, actual, expected, problems) {
  if (actual !== expected) problems.push(`${what}: ${actual}, expected ${expected}`);
}

export async function runIngest(options) {
  const batches = Math.round(options.events / 1000);
  const tenantCount = options.tenants ?? 100;
  const stack = await startStack({ name: 'bench-ingest' });
  const problems = [];
  try {
    const db = await sql(stack.databaseUrl);
    const machine = await machineInfo(stack.databaseUrl);
    say(`creating ${tenantCount} tenants, an API key (usage:write) and the meters over HTTP ...`);
    const tenants = await stack.admin.createTenants(tenantCount);
    const token = await stack.admin.createApiKey(['usage:write', 'usage:read']);
    await stack.admin.registerMeters(INGEST_METERS);
    const baseMs = Date.now();
    const plan = (prefix, n, seed) => ingestPlan({ tenants, batches: n, batchSize: 1000, dupRate: 0.1, prefix, baseMs, seed });

    say('warm-up: 30 batches through the API (JIT, connection pools, caches), then the tables are emptied');
    await runClient({ kind: 'ingest', url: stack.apiUrl, token, plan: plan('gw:warmup-00000000-0000', 30, 99), concurrency: 4, label: 'warm-up' });
    await reset(db);

    const main = plan('gw:0193a1f2-7c1e-7d2a', batches, 1);
    const unique = planUnique(main);
    const rounds = [];
    for (let round = 1; round <= options.rounds; round++) {
      say(`round ${round}/${options.rounds}: baseline (COPY -> INSERT ... ON CONFLICT, 4 connections x 1,000-event transactions) ...`);
      const baseline = await measured(stack, { kind: 'ingest-baseline', databaseUrl: stack.databaseUrl, plan: main, concurrency: 4, mode: 'batched' });
      const afterBaseline = await counts(db);
      check('baseline usage_events rows', afterBaseline.events, unique, problems);
      check('baseline usage_dedup rows', afterBaseline.dedup, unique, problems);
      say(`    ${int(baseline.eventsPerSec)} events/s (${(baseline.elapsedMs / 1000).toFixed(1)} s)`);
      await reset(db);

      say(`round ${round}/${options.rounds}: raw baseline (all events in one COPY and one INSERT ... ON CONFLICT) ...`);
      const bulk = await measured(stack, { kind: 'ingest-baseline', databaseUrl: stack.databaseUrl, plan: main, mode: 'bulk' });
      const afterBulk = await counts(db);
      check('raw baseline usage_events rows', afterBulk.events, unique, problems);
      check('raw baseline usage_dedup rows', afterBulk.dedup, unique, problems);
      say(`    ${int(bulk.eventsPerSec)} events/s (${(bulk.elapsedMs / 1000).toFixed(1)} s)`);
      await reset(db);

      say(`round ${round}/${options.rounds}: API (POST /v1/usage/events, 4 concurrent requests of 1,000 events) ...`);
      const api = await measured(stack, { kind: 'ingest', url: stack.apiUrl, token, plan: main, concurrency: 4, label: 'api' });
      const afterApi = await counts(db);
      check('API errors', api.errors, 0, problems);
      check('API accepted', api.accepted, unique, problems);
      check('API duplicates', api.duplicates, main.batches * main.dups, problems);
      check('API rejected', api.rejected, 0, problems);
      check('API usage_events rows', afterApi.events, unique, problems);
      check('API usage_dedup rows', afterApi.dedup, unique, problems);
      say(`    ${int(api.eventsPerSec)} events/s (${(api.elapsedMs / 1000).toFixed(1)} s), ${int(afterApi.outbox)} outbox rows`);
      rounds.push({ round, baseline, bulk, api, rows: { baseline: afterBaseline, bulk: afterBulk, api: afterApi } });
      if (round < options.rounds) await reset(db);
    }

    say(`paced: ${int(options.pacedRate)} events/s for ${options.pacedSeconds} s (1,000-event batches, open loop), on top of the rows above ...`);
    const pacedBatches = Math.round((options.pacedRate * options.pacedSeconds) / 1000);
    const paced = await measured(stack, {
      kind: 'ingest', url: stack.apiUrl, token, plan: plan('gw:0193a1f2-paced-7d2a', pacedBatches, 2), eventsPerSec: options.pacedRate, connections: 32, label: 'paced',
    });
    check('paced errors', paced.errors, 0, problems);

    await db.end();

    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const apiRate = median(rounds.map((r) => r.api.eventsPerSec));
    const baseRate = median(rounds.map((r) => r.bulk.eventsPerSec));
    const batchedRate = median(rounds.map((r) => r.baseline.eventsPerSec));
    const ratio = apiRate / baseRate;
    const rows = [['measure', 'value', 'baseline', 'ratio', 'target', 'met']];
    rounds.forEach((r) => {
      rows.push([`round ${r.round}: API events/s vs raw baseline (${int(main.batches * main.batchSize)}, 4x1,000, 10 % dup)`, int(r.api.eventsPerSec), int(r.bulk.eventsPerSec), fmt(r.api.eventsPerSec / r.bulk.eventsPerSec), '', '']);
      rows.push([`round ${r.round}: vs batched baseline`, '', int(r.baseline.eventsPerSec), fmt(r.api.eventsPerSec / r.baseline.eventsPerSec), '', '']);
    });
    rows.push(['API events/s (median of rounds)', int(apiRate), '', '', `>= ${int(TARGET_EVENTS_PER_SEC)}`, apiRate >= TARGET_EVENTS_PER_SEC ? 'yes' : 'NO']);
    rows.push(['API / raw baseline (one COPY, one INSERT ON CONFLICT; medians)', fmt(ratio), int(baseRate), fmt(ratio), `>= ${TARGET_RATIO}`, ratio >= TARGET_RATIO ? 'yes' : 'NO']);
    rows.push(['API / batched baseline (COPY + INSERT per 1,000, 4 at once; medians)', fmt(apiRate / batchedRate), int(batchedRate), fmt(apiRate / batchedRate), '(stricter reference)', '']);
    rows.push(['API request latency p50 / p99 ms (closed loop)', `${fmt(rounds.at(-1).api.latencyMs.p50, 1)} / ${fmt(rounds.at(-1).api.latencyMs.p99, 1)}`,
      `${fmt(rounds.at(-1).baseline.latencyMs.p50, 1)} / ${fmt(rounds.at(-1).baseline.latencyMs.p99, 1)}`, '', '', '']);
    const cpu = (r) => `${fmt(r.cpuSeconds.api, 1)} / ${fmt(r.cpuSeconds.postgres, 1)} / ${fmt(r.cpuSeconds.client, 1)}`;
    rows.push(['CPU s used: API process / PostgreSQL / load client (baseline: batched)', cpu(rounds.at(-1).api), cpu(rounds.at(-1).baseline), '', '', '']);
    rows.push([`paced ${int(options.pacedRate)} ev/s: achieved ev/s`, int(paced.eventsPerSec), '', '', '', '']);
    rows.push([`paced ${int(options.pacedRate)} ev/s: time to ack p50 / p99 / max ms`, `${fmt(paced.latencyMs.p50, 1)} / ${fmt(paced.latencyMs.p99, 1)} / ${fmt(paced.latencyMs.max, 1)}`, '', '', '(report)', '']);
    return {
      name: 'ingest',
      machine,
      settings: { events: main.batches * main.batchSize, uniqueEvents: unique, batchSize: 1000, concurrency: 4, duplicateRate: 0.1, tenants: tenantCount, meters: INGEST_METERS.map((m) => m.key), rounds: options.rounds },
      rounds, paced,
      summary: { apiEventsPerSec: apiRate, baselineEventsPerSec: baseRate, ratio, batchedBaselineEventsPerSec: batchedRate, batchedRatio: apiRate / batchedRate, pacedP99Ms: paced.latencyMs.p99 },
      targets: { eventsPerSec: { target: TARGET_EVENTS_PER_SEC, met: apiRate >= TARGET_EVENTS_PER_SEC }, ratio: { target: TARGET_RATIO, met: ratio >= TARGET_RATIO } },
      problems,
      table: table(rows),
    };
  } finally {
    await stack.stop();
  }
}
