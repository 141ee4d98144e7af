// Benchmark `gateway`: latency the metering gateway adds to a request, against calling the fake
// upstream directly in the same run — a non-streaming JSON route (GET /api/tags) and a streaming
// NDJSON route (POST /api/chat, 5 chunks 2 ms apart: time to first byte and total). The gateway
// process (apps/gateway) serves the metered fixture plugin (test/fixtures/gateway), installed as a
// package on NODE_PATH; the upstream is test/fixtures/gateway/fake-streaming-upstream.ts in a
// process of its own; the client is a third process. Afterwards the usage the gateway recorded
// must equal the requests it forwarded (metering was really on the path).
import { installMeteredPlugin, startFakeUpstream } from './lib/fixtures.mjs';
import { cpuDelta, cpuSnapshot, machineInfo, runClient, say, sleep, startStack } from './lib/stack.mjs';
import { fmt, int, table } from './lib/stats.mjs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const TARGET_P50_MS = 1;
const TARGET_P99_MS = 5;
const IDLE_SECONDS = 5;
/** requests per second of the paced (open-loop) run, per target: well below the gateway's saturation */
const PACED_RATE = 500;
const CHAT = { model: 'llama3', stream: true, chunks: 5, intervalMs: 2, promptTokens: 12 };
const COMPLETION = { model: 'llama3', stream: false, chunks: 5, promptTokens: 12 };

export async function runGateway(options) {
  const fixtures = await fs.mkdtemp(path.join(os.tmpdir(), 'werkbank-bench-gateway-fixtures-'));
  const upstream = await startFakeUpstream(fixtures);
  const nodePath = await installMeteredPlugin(fixtures);
  const gatewaySettings = {
    // the default is 50 requests/s per key; the limiter stays on the path, with room for the load
    GATEWAY_RATE_LIMIT_RPS: '1000000',
  };
  let stack;
  const problems = [];
  try {
    stack = await startStack({
      name: 'bench-gateway',
      apiEnv: { NODE_PATH: nodePath, WERKBANK_PLUGINS: '@werkbank/plugin-metered', WERKBANK_PLUGIN_METERED_OPTIONS: JSON.stringify({ upstreams: [upstream.url] }) },
    });
    const machine = await machineInfo(stack.databaseUrl);
    say('starting the metering gateway (apps/gateway) ...');
    const gateway = await stack.startGateway(gatewaySettings);
    const [tenant] = await stack.admin.createTenants(1);
    const key = await stack.admin.createApiKey(['gateway:metered'], tenant);
    const auth = { authorization: `Bearer ${key}` };
    const json = { 'content-type': 'application/json' };

    const idleBefore = cpuSnapshot(stack);
    await sleep(IDLE_SECONDS * 1000);
    const idleCpu = (cpuSnapshot(stack).gateway - idleBefore.gateway) / IDLE_SECONDS;

    const perTarget = Math.max(10, Math.round(options.requests / 10));
    const targets = [
      { label: 'JSON POST /api/chat (stream: false): direct', kind: 'http', base: upstream.url, path: '/api/chat', method: 'POST', headers: json, body: COMPLETION, minBytes: 50 },
      { label: 'JSON POST /api/chat (stream: false): gateway', kind: 'http', base: `${gateway.url}/metered`, path: '/api/chat', method: 'POST', headers: { ...auth, ...json }, body: COMPLETION, minBytes: 50 },
      { label: 'NDJSON POST /api/chat: direct', kind: 'http', base: upstream.url, path: '/api/chat', method: 'POST', headers: json, body: CHAT, minBytes: 100 },
      { label: 'NDJSON POST /api/chat: gateway', kind: 'http', base: `${gateway.url}/metered`, path: '/api/chat', method: 'POST', headers: { ...auth, ...json }, body: CHAT, minBytes: 100 },
    ];
    const runs = [];
    const loads = [
      { label: 'c=1', concurrency: 1, counted: true },
      { label: `${PACED_RATE}/s`, ratePerSec: PACED_RATE, counted: true },
      { label: 'c=8', concurrency: 8, counted: false }, // closed loop as fast as it goes: saturation, for information
    ];
    for (const load of loads) {
      say(`${load.ratePerSec ? `paced at ${load.ratePerSec} requests/s (open loop)` : `concurrency ${load.concurrency}`}: ${int(perTarget * 10)} requests per target in 10 interleaved blocks (after 300 warm-up requests each) ...`);
      const before = cpuSnapshot(stack);
      const run = await runClient({ kind: 'latency', targets, concurrency: load.concurrency, ratePerSec: load.ratePerSec, warmup: 300, blockSize: perTarget, blocks: 10, label: load.label });
      run.cpuSeconds = cpuDelta(before, cpuSnapshot(stack));
      run.counted = load.counted;
      runs.push(run);
      for (const t of run.targets) if (t.errors.count) problems.push(`${run.label} ${t.label}: ${t.errors.count} errors, e.g. ${t.errors.samples[0]}`);
    }

    // every forwarded request was metered: metered.requests == gateway requests (usage is flushed every 200 ms)
    const forwarded = runs.reduce((s, r) => s + 2 * (300 + perTarget * 10) - r.targets[1].errors.count - r.targets[3].errors.count, 0);
    let usage = {};
    for (let i = 0; i < 50; i++) {
      const answer = await stack.admin.call('GET', `/v1/tenants/${tenant}/usage`);
      usage = Object.fromEntries(answer.items.map((it) => [it.meter, it.value]));
      if (Number(usage['metered.requests'] ?? 0) >= forwarded) break;
      await sleep(200);
    }
    if (Number(usage['metered.requests'] ?? 0) !== forwarded) problems.push(`metered.requests is ${usage['metered.requests']}, expected ${forwarded} (one per gateway request)`);

    const rows = [['route, concurrency', 'measure', 'direct p50', 'gateway p50', 'added p50', 'direct p99', 'gateway p99', 'added p99', 'target', 'met']];
    const verdicts = [];
    for (const run of runs) {
      const [dj, gj, dn, gn] = run.targets;
      const line = (name, measure, d, g, countedLine) => {
        const counted = countedLine && run.counted;
        const addedP50 = g.p50 - d.p50;
        const addedP99 = g.p99 - d.p99;
        const met = addedP50 <= TARGET_P50_MS && addedP99 <= TARGET_P99_MS;
        verdicts.push({ run: run.label, counted, name, measure, addedP50, addedP99, met });
        rows.push([`${name}, ${run.label}`, measure, fmt(d.p50, 3), fmt(g.p50, 3), fmt(addedP50, 3), fmt(d.p99, 3), fmt(g.p99, 3), fmt(addedP99, 3),
          counted ? `+${TARGET_P50_MS} / +${TARGET_P99_MS}` : '(saturation)', counted ? (met ? 'yes' : 'NO') : (met ? 'yes' : 'no')]);
      };
      line('JSON', 'total', dj.totalMs, gj.totalMs, true);
      line('NDJSON', 'first byte', dn.ttfbMs, gn.ttfbMs, true);
      line('NDJSON', 'total', dn.totalMs, gn.totalMs, true);
    }
    const perRun = 2 * (300 + perTarget * 10);
    const cpuRows = runs.map((r) => `${r.label}: gateway process ${fmt(r.cpuSeconds.gateway, 1)} CPU s (${fmt((r.cpuSeconds.gateway / perRun) * 1000, 2)} ms per gateway request, idle burn included), PostgreSQL ${fmt(r.cpuSeconds.postgres, 1)} CPU s, for ${int(perRun)} gateway and ${int(perRun)} direct requests in ${fmt(r.elapsedMs / 1000, 1)} s`);
    cpuRows.unshift(`gateway process idle: ${fmt(idleCpu * 100, 1)} % of a core (CPU over ${IDLE_SECONDS} s without requests)`);
    const counted = verdicts.filter((v) => v.counted);
    return {
      name: 'gateway',
      machine,
      settings: { gateway: gatewaySettings, jsonRequest: COMPLETION, ndjsonRequest: CHAT, requestsPerTarget: perTarget * 10, concurrency: runs.map((r) => r.concurrency) },
      runs,
      usage: { forwarded, recorded: usage },
      gatewayIdleCpuShare: idleCpu,
      summary: verdicts,
      targets: { addedP50Ms: TARGET_P50_MS, addedP99Ms: TARGET_P99_MS, met: counted.every((v) => v.met), metAtSaturation: verdicts.filter((v) => !v.counted).every((v) => v.met) },
      problems,
      table: `${table(rows)}\n${cpuRows.join('\n')}\nusage recorded by the gateway: metered.requests = ${usage['metered.requests']} (forwarded ${forwarded})`,
    };
  } finally {
    await stack?.stop();
    await upstream.stop();
    await fs.rm(fixtures, { recursive: true, force: true });
  }
}
