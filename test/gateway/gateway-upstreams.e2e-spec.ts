// How the metering gateway spreads requests over a plugin's upstream nodes (least outstanding
// requests), steps around failing ones (passive health), and reports itself (health, metrics).
import { bearer, GatewayEnv, startGatewayEnv } from '../support/gateway-env';
import { waitFor } from '../support/wait-for';

describe('metering gateway: upstream nodes, health and metrics', () => {
  let env: GatewayEnv;
  let key: string;

  beforeAll(async () => {
    env = await startGatewayEnv({ upstreams: 2 });
    key = (await env.key((await env.tenant()).id)).key;
  });
  afterAll(() => env?.close());
  beforeEach(() => env.upstreams.forEach((u) => u.reset()));

  const tags = () => fetch(`${env.url}/metered/api/tags`, { headers: bearer(key) }).then(async (res) => ({ status: res.status, node: res.headers.get('x-upstream-node'), body: await res.text() }));
  const slowChat = () => fetch(`${env.url}/metered/api/chat`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify({ chunks: 3, intervalMs: 150 }) })
    .then(async (res) => ({ node: res.headers.get('x-upstream-node'), body: await res.text() }));

  it('sends concurrent requests to the node with the fewest in flight', async () => {
    const answers = await Promise.all([slowChat(), slowChat(), slowChat(), slowChat()]);
    expect(answers.map((a) => a.node).sort()).toEqual(['node-1', 'node-1', 'node-2', 'node-2']);
    expect(env.upstreams.map((u) => u.maxActive)).toEqual([2, 2]);
  });

  it('takes turns between idle nodes', async () => {
    const nodes = [];
    for (let i = 0; i < 4; i++) nodes.push((await tags()).node);
    expect(nodes.filter((n) => n === 'node-1')).toHaveLength(2);
  });

  it('marks a node that answers 5xx down for a while and sends everything to the others', async () => {
    env.upstreams[0].failWith(503);
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await tags());
    const failed = answers.filter((a) => a.status === 503);
    expect(failed).toHaveLength(1); // the upstream's own answer, passed on once
    expect(answers.slice(answers.indexOf(failed[0]) + 1).every((a) => a.status === 200 && a.node === 'node-2')).toBe(true);
    env.upstreams[0].failWith(null);
    await new Promise((r) => setTimeout(r, 1100)); // GATEWAY_UPSTREAM_DOWN_MS=1000
    const after = [];
    for (let i = 0; i < 4; i++) after.push((await tags()).node);
    expect(after).toContain('node-1');
  });

  it('answers /health/live, /health/ready and /metrics', async () => {
    expect(await (await fetch(`${env.url}/health/live`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${env.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { postgres: 'up', redis: 'up', usageJournal: 'empty' } });
    await tags();
    // the usage counter shows once metering has answered for a batch (batches go every GATEWAY_USAGE_FLUSH_MS)
    const metrics = await waitFor('usage delivered', async () => {
      const text = await (await fetch(`${env.url}/metrics`)).text();
      return text.includes('werkbank_gateway_usage_events_total{outcome="accepted"}') && text;
    });
    expect(metrics).toContain('werkbank_gateway_request_duration_seconds_count{plugin="metered",route="/api/tags",status="200"}');
    expect(metrics).toMatch(/werkbank_gateway_upstream_up\{plugin="metered",upstream="http:\/\/127\.0\.0\.1:\d+"\} 1/);
    expect(metrics).toContain('werkbank_gateway_usage_events_total{outcome="accepted"}');
  });

  it('protects /metrics with METRICS_TOKEN like the API', async () => {
    const guarded = await env.startGateway({ config: { metricsToken: 'scrape-me' } });
    expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${guarded.url}/metrics`, { headers: bearer('wrong') })).status).toBe(401);
    expect((await fetch(`${guarded.url}/metrics`, { headers: bearer('scrape-me') })).status).toBe(200);
  });

  it('tries another node when one refuses connections, and answers 502 when none is left', async () => {
    await env.upstreams[1].close();
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await tags());
    expect(answers.map((a) => [a.status, a.node])).toEqual(Array(4).fill([200, 'node-1']));
    const metrics = await (await fetch(`${env.url}/metrics`)).text();
    expect(metrics).toMatch(/werkbank_gateway_upstream_failures_total\{plugin="metered",upstream="http:\/\/127\.0\.0\.1:\d+",reason="ECONNREFUSED"\} 1/);
    await env.upstreams[0].close();
    const none = await fetch(`${env.url}/metered/api/tags`, { headers: bearer(key) });
    expect(none.status).toBe(502);
    expect(await none.json()).toMatchObject({ code: 'gateway.upstream_unavailable' });
  });
});
