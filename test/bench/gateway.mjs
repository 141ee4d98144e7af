// Benchmark `gateway`: latency the metering gateway adds to a request, against calling the fake
// upstream directly in the same run — a non-streaming JSON route (POST /api/chat, stream: false)
// and a streaming NDJSON route (POST /api/chat, 5 chunks 2 ms apart: time to first byte and
// total) of the metered fixture plugin (test/fixtures/gateway, installed as a package on
// NODE_PATH, upstream test/fixtures/gateway/fake-streaming-upstream.ts), and the Ollama plugin's
// routes (@werkbank/plugin-ollama, upstream plugins/ollama/src/__tests__/fake-ollama.ts): native
// JSON and NDJSON /api/chat, OpenAI-compatible SSE /v1/chat/completions (the gateway asks for the
// usage chunk and hides it), and the filtered GET /api/tags, called with the key of a provisioned
// Ollama service. Each upstream runs in a process of its own; the client is another. Afterwards
// the usage the gateway recorded must equal the requests it forwarded (metering was really on the
// path).
import { installMeteredPlugin, startFakeOllama, startFakeUpstream } from './lib/fixtures.mjs';
import { cpuDelta, cpuSnapshot, machineInfo, runClient, say, sleep, startStack } from './lib/stack.mjs';
import { fmt, int, table } from './lib/stats.mjs';
import fs from 'node:fs/promises';
import { request } from 'undici';
import os from 'node:os';
import path from 'node:path';

const TARGET_P50_MS = 1;
const TARGET_P99_MS = 5;
const IDLE_SECONDS = 5;
/** requests per second of the paced (open-loop) run, per target: well below the gateway's saturation */
const PACED_RATE = 500;
const CHAT = { model: 'llama3', stream: true, chunks: 5, intervalMs: 2, promptTokens: 12 };
const COMPLETION = { model: 'llama3', stream: false, chunks: 5, promptTokens: 12 };
// the fake Ollama answers "Echo:" and each prompt word as a chunk: 5 chunks and the final line, 2 ms apart
const OLLAMA_MESSAGES = [{ role: 'user', content: 'why is sky blue' }];
const OLLAMA_CHAT = { model: 'llama3.2', messages: OLLAMA_MESSAGES, stream: true };
const OLLAMA_COMPLETION = { model: 'llama3.2', messages: OLLAMA_MESSAGES, stream: false };
const OPENAI_CHAT = { model: 'llama3.2', messages: OLLAMA_MESSAGES, stream: true };

/** Polls until the service is active, then reveals its credentials (the worker provisions it). */
async function provisionService(admin, tenantId, plugin, timeoutMs = 60_000) {
  const { id } = await admin.call('POST', `/v1/tenants/${tenantId}/services`, { plugin });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const service = await admin.call('GET', `/v1/services/${id}`);
    if (service.state === 'active') break;
    if (service.state === 'failed' || Date.now() > deadline) throw new Error(`the ${plugin} service did not become active: ${JSON.stringify(service).slice(0, 500)}`);
    await sleep(200);
  }
  return (await admin.call('POST', `/v1/services/${id}/credentials`, {})).credentials;
}

/**
 * The gateway's event-loop delay since the previous call, from its /metrics (prom-client's
 * default metrics, which reset the histogram on every scrape): {p50, p99, max} in ms.
 */
async function eventLoopDelay(url) {
  const res = await request(`${url}/metrics`);
  const text = await res.body.text();
  const value = (name) => Number(text.match(new RegExp(`^werkbank_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm'))?.[1]) * 1000;
  return res.statusCode === 200 ? { p50: value('p50'), p99: value('p99'), max: value('max') } : undefined;
}

export async function runGateway(options) {
  const fixtures = await fs.mkdtemp(path.join(os.tmpdir(), 'werkbank-bench-gateway-fixtures-'));
  const upstream = await startFakeUpstream(fixtures);
  const ollama = await startFakeOllama(fixtures, CHAT.intervalMs);
  const nodePath = await installMeteredPlugin(fixtures);
  const gatewaySettings = {
    // the default is 50 requests/s per key; the limiter stays on the path, with room for the load
    GATEWAY_RATE_LIMIT_RPS: '1000000',
    // GATEWAY_* variables set for the benchmark go to the gateway too (what-ifs; reported with the results)
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('GATEWAY_'))),
  };
  let stack;
  const problems = [];
  try {
    stack = await startStack({
      name: 'bench-gateway',
      apiEnv: {
        NODE_PATH: nodePath,
        WERKBANK_PLUGINS: '@werkbank/plugin-metered,@werkbank/plugin-ollama',
        WERKBANK_PLUGIN_METERED_OPTIONS: JSON.stringify({ upstreams: [upstream.url] }),
        WERKBANK_PLUGIN_OLLAMA_OPTIONS: JSON.stringify({ upstreams: [ollama.url], gatewayUrl: 'http://127.0.0.1', models: { 'llama3.2': 'standard', 'llama3.1:70b': 'pro' } }),
      },
    });
    const machine = await machineInfo(stack.databaseUrl);
    say('starting the metering gateway (apps/gateway) ...');
    const gateway = await stack.startGateway(gatewaySettings);
    const [tenant] = await stack.admin.createTenants(1);
    const key = await stack.admin.createApiKey(['gateway:metered'], tenant);
    const auth = { authorization: `Bearer ${key}` };
    const json = { 'content-type': 'application/json' };
    say('starting the worker (apps/worker) and provisioning an Ollama service for the tenant ...');
    await stack.startWorker();
    const { apiKey: ollamaKey } = await provisionService(stack.admin, tenant, 'ollama');
    const ollamaAuth = { authorization: `Bearer ${ollamaKey}` };

    const idleBefore = cpuSnapshot(stack);
    await sleep(IDLE_SECONDS * 1000);
    const idleCpu = (cpuSnapshot(stack).gateway - idleBefore.gateway) / IDLE_SECONDS;

    const perTarget = Math.max(10, Math.round(options.requests / 10));
    /** pairs of targets (direct, gateway); `streamed` pairs also get a first-byte line; `meter` counts the gateway's requests */
    const allPairs = [
      { name: 'JSON', path: '/api/chat', body: COMPLETION, minBytes: 50, base: upstream.url, plugin: 'metered', auth, meter: 'metered.requests' },
      { name: 'NDJSON', path: '/api/chat', body: CHAT, minBytes: 100, base: upstream.url, plugin: 'metered', auth, meter: 'metered.requests', streamed: true },
      { name: 'Ollama JSON', path: '/api/chat', body: OLLAMA_COMPLETION, minBytes: 200, base: ollama.url, plugin: 'ollama', auth: ollamaAuth, meter: 'ollama.requests' },
      { name: 'Ollama NDJSON', path: '/api/chat', body: OLLAMA_CHAT, minBytes: 500, base: ollama.url, plugin: 'ollama', auth: ollamaAuth, meter: 'ollama.requests', streamed: true },
      { name: 'Ollama SSE (OpenAI)', path: '/v1/chat/completions', body: OPENAI_CHAT, minBytes: 500, base: ollama.url, plugin: 'ollama', auth: ollamaAuth, meter: 'ollama.requests', streamed: true },
      { name: 'Ollama GET /api/tags (filtered)', method: 'GET', path: '/api/tags', minBytes: 200, base: ollama.url, plugin: 'ollama', auth: ollamaAuth },
    ];
    // --only: the pairs whose name contains one of the texts
    const pairs = options.only?.length ? allPairs.filter((p) => options.only.some((text) => p.name.toLowerCase().includes(text.toLowerCase()))) : allPairs;
    if (!pairs.length) throw new Error(`--only ${options.only.map((t) => JSON.stringify(t)).join(' --only ')} matches no route pair (they are: ${allPairs.map((p) => p.name).join(', ')})`);
    const targets = pairs.flatMap((p) => {
      const what = `${p.name} ${p.method ?? 'POST'} ${p.path}`;
      const common = { kind: 'http', path: p.path, method: p.method ?? 'POST', body: p.body, minBytes: p.minBytes };
      return [
        { ...common, label: `${what}: direct`, base: p.base, headers: p.body ? json : {} },
        { ...common, label: `${what}: gateway`, base: `${gateway.url}/${p.plugin}`, headers: { ...p.auth, ...(p.body ? json : {}) } },
      ];
    });
    const runs = [];
    const loads = [
      { name: 'serial', label: 'c=1', concurrency: 1, counted: true },
      { name: 'paced', label: `${PACED_RATE}/s`, ratePerSec: PACED_RATE, counted: true },
      { name: 'saturation', label: 'c=8', concurrency: 8, counted: false }, // closed loop as fast as it goes: saturation, for information
    ].filter((load) => (options.loads ?? ['serial', 'paced', 'saturation']).includes(load.name));
    for (const load of loads) {
      say(`${load.ratePerSec ? `paced at ${load.ratePerSec} requests/s (open loop)` : `concurrency ${load.concurrency}`}: ${int(perTarget * 10)} requests per target in 10 interleaved blocks (after 300 warm-up requests each) ...`);
      await eventLoopDelay(gateway.url); // resets the gateway's event-loop delay histogram
      const before = cpuSnapshot(stack);
      const run = await runClient({ kind: 'latency', targets, concurrency: load.concurrency, ratePerSec: load.ratePerSec, warmup: 300, blockSize: perTarget, blocks: 10, label: load.label });
      run.cpuSeconds = cpuDelta(before, cpuSnapshot(stack));
      run.counted = load.counted;
      run.gatewayEventLoopDelayMs = await eventLoopDelay(gateway.url);
      runs.push(run);
      for (const t of run.targets) if (t.errors.count) problems.push(`${run.label} ${t.label}: ${t.errors.count} errors, e.g. ${t.errors.samples[0]}`);
    }

    // every forwarded request was metered: <plugin>.requests == its gateway requests (usage is flushed every 200 ms)
    const forwardedOf = (meter) => runs.reduce((s, r) => s + pairs.reduce((n, p, i) => n + (p.meter === meter ? 300 + perTarget * 10 - r.targets[2 * i + 1].errors.count : 0), 0), 0);
    const forwarded = Object.fromEntries([...new Set(pairs.map((p) => p.meter).filter(Boolean))].map((meter) => [meter, forwardedOf(meter)]));
    let usage = {};
    for (let i = 0; i < 50; i++) {
      const answer = await stack.admin.call('GET', `/v1/tenants/${tenant}/usage`);
      usage = Object.fromEntries(answer.items.map((it) => [it.meter, it.value]));
      if (Object.entries(forwarded).every(([meter, n]) => Number(usage[meter] ?? 0) >= n)) break;
      await sleep(200);
    }
    for (const [meter, n] of Object.entries(forwarded)) {
      if (Number(usage[meter] ?? 0) !== n) problems.push(`${meter} is ${usage[meter]}, expected ${n} (one per gateway request)`);
    }

    const rows = [['route, concurrency', 'measure', 'direct p50', 'gateway p50', 'added p50', 'direct p99', 'gateway p99', 'added p99', 'target', 'met']];
    const verdicts = [];
    for (const run of runs) {
      const line = (name, measure, d, g, countedLine) => {
        const counted = countedLine && run.counted;
        const addedP50 = g.p50 - d.p50;
        const addedP99 = g.p99 - d.p99;
        const met = addedP50 <= TARGET_P50_MS && addedP99 <= TARGET_P99_MS;
        verdicts.push({ run: run.label, counted, name, measure, addedP50, addedP99, met });
        rows.push([`${name}, ${run.label}`, measure, fmt(d.p50, 3), fmt(g.p50, 3), fmt(addedP50, 3), fmt(d.p99, 3), fmt(g.p99, 3), fmt(addedP99, 3),
          counted ? `+${TARGET_P50_MS} / +${TARGET_P99_MS}` : '(saturation)', counted ? (met ? 'yes' : 'NO') : (met ? 'yes' : 'no')]);
      };
      pairs.forEach((p, i) => {
        const [d, g] = [run.targets[2 * i], run.targets[2 * i + 1]];
        if (p.streamed) line(p.name, 'first byte', d.ttfbMs, g.ttfbMs, true);
        line(p.name, 'total', d.totalMs, g.totalMs, true);
      });
    }
    const perRun = pairs.length * (300 + perTarget * 10);
    const cpuRows = runs.map((r) => `${r.label}: gateway process ${fmt(r.cpuSeconds.gateway, 1)} CPU s (${fmt((r.cpuSeconds.gateway / perRun) * 1000, 2)} ms per gateway request, idle burn included), PostgreSQL ${fmt(r.cpuSeconds.postgres, 1)} CPU s, API ${fmt(r.cpuSeconds.api, 1)} CPU s, worker ${fmt(r.cpuSeconds.worker ?? 0, 1)} CPU s, for ${int(perRun)} gateway and ${int(perRun)} direct requests in ${fmt(r.elapsedMs / 1000, 1)} s`);
    for (const r of runs) {
      const d = r.gatewayEventLoopDelayMs;
      if (d) cpuRows.push(`${r.label}: gateway event-loop delay p50 ${fmt(d.p50, 2)} ms, p99 ${fmt(d.p99, 2)} ms, max ${fmt(d.max, 2)} ms (whole load, direct blocks included)`);
    }
    cpuRows.unshift(`gateway process idle: ${fmt(idleCpu * 100, 1)} % of a core (CPU over ${IDLE_SECONDS} s without requests)`);
    const counted = verdicts.filter((v) => v.counted);
    return {
      name: 'gateway',
      machine,
      settings: { gateway: gatewaySettings, jsonRequest: COMPLETION, ndjsonRequest: CHAT, ollamaRequests: { json: OLLAMA_COMPLETION, ndjson: OLLAMA_CHAT, sse: OPENAI_CHAT }, requestsPerTarget: perTarget * 10, concurrency: runs.map((r) => r.concurrency) },
      runs,
      usage: { forwarded, recorded: usage },
      gatewayIdleCpuShare: idleCpu,
      summary: verdicts,
      targets: { addedP50Ms: TARGET_P50_MS, addedP99Ms: TARGET_P99_MS, met: counted.every((v) => v.met), metAtSaturation: verdicts.filter((v) => !v.counted).every((v) => v.met) },
      problems,
      table: `${table(rows)}\n${cpuRows.join('\n')}\nusage recorded by the gateway: ${Object.entries(forwarded).map(([meter, n]) => `${meter} = ${usage[meter]} (forwarded ${n})`).join(', ')}`,
    };
  } finally {
    await stack?.stop();
    await upstream.stop();
    await ollama.stop();
    await fs.rm(fixtures, { recursive: true, force: true });
  }
}
