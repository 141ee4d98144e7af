// The load client: runs in a process of its own (forked by stack.mjs runClient), gets one task
// over IPC, prepares its requests before the clock starts, runs, and sends back the result.
//
// Tasks:
//   ingest           POST /v1/usage/events: closed loop (`concurrency` requests at once) or paced
//                    (`eventsPerSec`, open loop: latency counts from the scheduled send time)
//   ingest-baseline  the same events straight into the metering tables with pg: COPY into a staging
//                    table, then INSERT ... ON CONFLICT DO NOTHING (per batch, or all at once)
//   latency          request latency (time to first body byte and total) of several targets,
//                    measured in interleaved blocks: HTTP routes, or the usage aggregate SQL via pg
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { Pool } from 'undici';
import { batchEvents, batchSeqs, contentHashHex, canonicalTime, ingestEvent, prng } from './events.mjs';
import { summarize } from './stats.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { from: copyFrom } = copyStreams;
const log = (message) => console.log(`[client] ${message}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const cpuSeconds = (since) => {
  const d = process.cpuUsage(since);
  return Math.round((d.user + d.system) / 1e4) / 100;
};

// ---------------------------------------------------------------------------------------
// ingest through the API
// ---------------------------------------------------------------------------------------

async function ingest({ url, token, plan, concurrency = 4, eventsPerSec, connections, label = 'ingest' }) {
  const t0 = performance.now();
  const bodies = [];
  for (let i = 0; i < plan.batches; i++) bodies.push(Buffer.from(JSON.stringify({ events: batchEvents(plan, i) })));
  const bytes = bodies.reduce((s, b) => s + b.length, 0);
  log(`${label}: ${plan.batches} request bodies prepared (${(bytes / 1024 / 1024).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const origin = new URL(url);
  const pool = new Pool(origin.origin, { connections: connections ?? concurrency, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const totals = { accepted: 0, duplicates: 0, rejected: 0, codes: {}, errors: 0, errorSamples: [] };
  const latencies = new Array(plan.batches);

  const send = async (i, from) => {
    const res = await pool.request({ path: `${origin.pathname.replace(/\/$/, '')}/v1/usage/events`, method: 'POST', headers, body: bodies[i] });
    const text = await res.body.text();
    latencies[i] = performance.now() - from;
    if (res.statusCode !== 200) {
      totals.errors += 1;
      if (totals.errorSamples.length < 5) totals.errorSamples.push(`${res.statusCode} ${text.slice(0, 200)}`);
      return;
    }
    const answer = JSON.parse(text);
    totals.accepted += answer.accepted;
    totals.duplicates += answer.duplicates;
    totals.rejected += answer.rejected.length;
    for (const r of answer.rejected) totals.codes[r.code] = (totals.codes[r.code] ?? 0) + 1;
  };

  const cpu0 = process.cpuUsage();
  const start = performance.now();
  if (!eventsPerSec) {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < plan.batches) {
        const i = next++;
        await send(i, performance.now());
      }
    }));
  } else {
    const intervalMs = (plan.batchSize / eventsPerSec) * 1000;
    const inFlight = [];
    for (let i = 0; i < plan.batches; i++) {
      const due = start + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait - 1);
      while (performance.now() < due) { /* spin the last millisecond */ }
      inFlight.push(send(i, due));
    }
    await Promise.all(inFlight);
  }
  const elapsedMs = performance.now() - start;
  const clientCpuSeconds = cpuSeconds(cpu0);
  await pool.close();
  const events = plan.batches * plan.batchSize;
  return {
    label, batches: plan.batches, batchSize: plan.batchSize, events, elapsedMs, clientCpuSeconds,
    eventsPerSec: events / (elapsedMs / 1000), targetEventsPerSec: eventsPerSec ?? null, concurrency: eventsPerSec ? null : concurrency,
    ...totals, latencyMs: summarize(latencies.filter((v) => v !== undefined)),
  };
}

// ---------------------------------------------------------------------------------------
// the raw-SQL baseline
// ---------------------------------------------------------------------------------------

const STAGING_COLUMNS = 'ord, tenant_id, idempotency_key, meter, occurred_at, quantity, properties, content_hash';
const STAGING_DDL = `(ord int, tenant_id uuid, idempotency_key text, meter text, occurred_at timestamptz, quantity numeric, properties jsonb, content_hash bytea)`;
/** What the ingestion statement does, from the staging table: dedup rows first, only the winners into usage_events. */
const MERGE = (staging) => `
  WITH input AS (
    SELECT DISTINCT ON (tenant_id, idempotency_key) * FROM ${staging} ORDER BY tenant_id, idempotency_key, ord
  ), won AS (
    INSERT INTO usage_dedup (tenant_id, idempotency_key, content_hash, occurred_at)
    SELECT tenant_id, idempotency_key, content_hash, occurred_at FROM input
    ON CONFLICT DO NOTHING
    RETURNING tenant_id, idempotency_key
  )
  INSERT INTO usage_events (tenant_id, meter, occurred_at, quantity, idempotency_key, properties, received_at)
  SELECT i.tenant_id, i.meter, i.occurred_at, i.quantity, i.idempotency_key, i.properties, now()
    FROM input i JOIN won w USING (tenant_id, idempotency_key)`;

/** COPY text of one batch, in the canonical form the API stores (same quantity text, time, hash). */
function copyText(plan, i) {
  const lines = [];
  batchSeqs(plan, i).forEach((n, ord) => {
    const e = ingestEvent(plan, n);
    const at = canonicalTime(Date.parse(e.timestamp));
    const props = JSON.stringify(e.properties);
    lines.push(`${ord}\t${e.tenantId}\t${e.idempotencyKey}\t${e.meter}\t${at}\t${e.quantity}\t${props}\t\\\\x${contentHashHex(e.meter, e.quantity, at, e.properties)}\n`);
  });
  return lines.join('');
}

async function copyInto(client, table, text) {
  await pipeline(Readable.from([text]), client.query(copyFrom(`COPY ${table} (${STAGING_COLUMNS}) FROM STDIN`)));
}

async function ingestBaseline({ databaseUrl, plan, concurrency = 4, mode = 'batched' }) {
  const t0 = performance.now();
  const texts = [];
  for (let i = 0; i < plan.batches; i++) texts.push(copyText(plan, i));
  log(`baseline (${mode}): COPY data prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const events = plan.batches * plan.batchSize;

  if (mode === 'bulk') {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS bench_staging_bulk`);
    await client.query(`CREATE UNLOGGED TABLE bench_staging_bulk ${STAGING_DDL}`);
    // ord must be unique across batches for DISTINCT ON's tie-break: batch i's rows are numbered
    // i*batchSize + ord (renumbered before the clock starts, like all the baseline's data)
    const numbered = texts.map((text, i) => text.replace(/^(\d+)\t/gm, (_, ord) => `${i * plan.batchSize + Number(ord)}\t`));
    const start = performance.now();
    await client.query('BEGIN');
    await pipeline(Readable.from(numbered), client.query(copyFrom(`COPY bench_staging_bulk (${STAGING_COLUMNS}) FROM STDIN`)));
    const copiedMs = performance.now() - start;
    const inserted = await client.query(MERGE('bench_staging_bulk'));
    await client.query('COMMIT');
    const elapsedMs = performance.now() - start;
    await client.query(`DROP TABLE bench_staging_bulk`);
    await client.end();
    return { label: 'baseline-bulk', mode, events, elapsedMs, copyMs: copiedMs, eventsPerSec: events / (elapsedMs / 1000), inserted: inserted.rowCount };
  }

  const clients = [];
  for (let c = 0; c < concurrency; c++) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`CREATE TEMP TABLE bench_staging ${STAGING_DDL} ON COMMIT DELETE ROWS`);
    clients.push(client);
  }
  const latencies = new Array(plan.batches);
  let inserted = 0;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await Promise.all(clients.map(async (client) => {
    while (next < plan.batches) {
      const i = next++;
      const from = performance.now();
      await client.query('BEGIN');
      await copyInto(client, 'bench_staging', texts[i]);
      inserted += (await client.query(MERGE('bench_staging'))).rowCount;
      await client.query('COMMIT');
      latencies[i] = performance.now() - from;
    }
  }));
  const elapsedMs = performance.now() - start;
  await Promise.all(clients.map((c) => c.end()));
  return { label: 'baseline-batched', mode, events, batches: plan.batches, concurrency, elapsedMs, clientCpuSeconds: cpuSeconds(cpu0), eventsPerSec: events / (elapsedMs / 1000), inserted, latencyMs: summarize(latencies) };
}

// ---------------------------------------------------------------------------------------
// latency of HTTP routes and of the usage SQL
// ---------------------------------------------------------------------------------------

/** A function running one request of the target and returning {ttfb, total} in ms (throws on a bad answer). */
async function prepareTarget(target, concurrency) {
  const random = prng(target.seed ?? 11);
  if (target.kind === 'http') {
    const origin = new URL(target.base);
    const pool = new Pool(origin.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 60_000 });
    const basePath = origin.pathname.replace(/\/$/, '');
    const body = target.body === undefined ? undefined : typeof target.body === 'string' ? target.body : JSON.stringify(target.body);
    return {
      close: () => pool.close(),
      async run() {
        const tenant = target.tenants ? target.tenants[Math.floor(random() * target.tenants.length)] : '';
        const start = performance.now();
        const res = await pool.request({ path: basePath + target.path.replace('{tenant}', tenant), method: target.method ?? 'GET', headers: target.headers, body });
        let ttfb;
        let size = 0;
        for await (const chunk of res.body) {
          ttfb ??= performance.now() - start;
          size += chunk.length;
        }
        const total = performance.now() - start;
        if (res.statusCode !== 200) throw new Error(`${target.label}: HTTP ${res.statusCode}`);
        if (target.minBytes && size < target.minBytes) throw new Error(`${target.label}: short answer (${size} bytes)`);
        return { ttfb: ttfb ?? total, total };
      },
    };
  }
  if (target.kind === 'sql-usage') {
    // The metering code's own SQL (compiled core/metering), run on a plain pg pool instead of
    // TypeORM: exactly the statement GET /v1/tenants/:id/usage runs (one, prepared per connection).
    const require = createRequire(import.meta.url);
    require('reflect-metadata');
    const { UsageQueryRepository } = require(path.join(ROOT, 'core/metering/dist/infrastructure/persistence/usage-query.repository.js'));
    const { monthOf } = require(path.join(ROOT, 'core/metering/dist/domain/periods.js'));
    const repository = new UsageQueryRepository();
    const pgPool = new pg.Pool({ connectionString: target.databaseUrl, max: concurrency });
    // a reader as metering's repositories see it: its statements go to the pool, named (prepared per connection) as in the API
    const tx = { connection: { driver: { master: pgPool } } };
    const specs = target.meters.map((m) => ({ key: m.key, aggregation: m.aggregation, valueProperty: m.valueProperty ?? null, dimensions: m.dimensions ?? [] }));
    return {
      close: () => pgPool.end(),
      async run() {
        const tenant = target.tenants[Math.floor(random() * target.tenants.length)];
        const start = performance.now();
        const now = new Date();
        const { from, to } = monthOf(now, target.timeZone);
        const scope = { tenantIds: [tenant], from, to, until: new Date(Math.min(to.getTime(), now.getTime())), timeZone: target.timeZone, groupBy: { kind: 'meter' } };
        const rows = await repository.usage(tx, scope, specs);
        const total = performance.now() - start;
        if (target.expectRows && rows.length === 0) throw new Error(`${target.label}: no rows for tenant ${tenant}`);
        return { ttfb: total, total };
      },
    };
  }
  if (target.kind === 'sql') {
    // one statement with `{tenant}` in its parameters replaced by a random tenant (what-if queries)
    const pgPool = new pg.Pool({ connectionString: target.databaseUrl, max: concurrency });
    return {
      close: () => pgPool.end(),
      async run() {
        const tenant = target.tenants[Math.floor(random() * target.tenants.length)];
        const start = performance.now();
        const { rows } = await pgPool.query(target.sql, target.params.map((p) => (p === '{tenant}' ? tenant : p)));
        const total = performance.now() - start;
        if (target.expectRows && rows.length === 0) throw new Error(`${target.label}: no rows for tenant ${tenant}`);
        return { ttfb: total, total };
      },
    };
  }
  throw new Error(`unknown target kind ${target.kind}`);
}

async function latency({ targets, concurrency = 1, ratePerSec, warmup = 200, blockSize = 500, blocks = 10, label = 'latency' }) {
  const prepared = [];
  for (const target of targets) prepared.push(await prepareTarget(target, ratePerSec ? 64 : concurrency));
  const samples = targets.map(() => ({ ttfb: [], total: [] }));
  const errors = targets.map(() => ({ count: 0, samples: [] }));
  const runBlock = async (t, n, record) => {
    if (ratePerSec) return runPacedBlock(t, n, record);
    let left = n;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (left > 0) {
        left -= 1;
        try {
          const r = await prepared[t].run();
          if (record) {
            samples[t].ttfb.push(r.ttfb);
            samples[t].total.push(r.total);
          }
        } catch (error) {
          errors[t].count += 1;
          if (errors[t].samples.length < 3) errors[t].samples.push(String(error.message ?? error));
        }
      }
    }));
  };
  // open loop: a request every 1/ratePerSec s (timers, no busy wait: the client must not take the
  // CPU the servers need) whether or not the earlier ones are done; latency counts from the send
  const runPacedBlock = async (t, n, record) => {
    const interval = 1000 / ratePerSec;
    const start = performance.now();
    const running = [];
    for (let i = 0; i < n; i++) {
      const wait = start + i * interval - performance.now();
      if (wait > 0) await sleep(wait);
      running.push(prepared[t].run().then((r) => {
        if (!record) return;
        samples[t].ttfb.push(r.ttfb);
        samples[t].total.push(r.total);
      }, (error) => {
        errors[t].count += 1;
        if (errors[t].samples.length < 3) errors[t].samples.push(String(error.message ?? error));
      }));
    }
    await Promise.all(running);
  };
  for (let t = 0; t < targets.length; t++) await runBlock(t, warmup, false);
  const started = performance.now();
  for (let b = 0; b < blocks; b++) {
    // interleaved blocks, the order rotating, so drift (caches, autovacuum, GC) hits every target alike
    for (let k = 0; k < targets.length; k++) await runBlock((b + k) % targets.length, blockSize, true);
  }
  for (const p of prepared) await p.close();
  return {
    label, concurrency: ratePerSec ? null : concurrency, ratePerSec: ratePerSec ?? null, elapsedMs: performance.now() - started,
    targets: targets.map((target, t) => ({ label: target.label, ttfbMs: summarize(samples[t].ttfb), totalMs: summarize(samples[t].total), errors: errors[t] })),
  };
}

// ---------------------------------------------------------------------------------------

const TASKS = { ingest, 'ingest-baseline': ingestBaseline, latency };

process.once('message', async (message) => {
  try {
    const run = TASKS[message.task.kind];
    if (!run) throw new Error(`unknown task ${message.task.kind}`);
    const result = await run(message.task);
    process.send({ type: 'result', result }, () => process.exit(0));
  } catch (error) {
    process.send({ type: 'error', error: error?.stack ?? String(error) }, () => process.exit(1));
  }
});
