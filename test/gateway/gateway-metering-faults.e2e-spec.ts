// "Killing the metering path while traffic flows loses no usage": a gateway whose database
// connection (its real UsageIngestion's path) goes through a TCP proxy that the test cuts —
// every connection dropped, new ones refused — while requests keep flowing. The API and the
// usage query reach PostgreSQL directly, so they tell the truth about what metering holds.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, GatewayEnv, startGatewayEnv, StartedGateway, waitForUsage } from '../support/gateway-env';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait-for';

/** Each chat request is metered as 1 request + 2 token events (prompt 3 + completion 2 = 5 tokens). */
const CHAT = { chunks: 2, promptTokens: 3 };

describe('metering gateway: metering unreachable', () => {
  let env: GatewayEnv;
  let proxy: TcpProxy;

  beforeAll(async () => {
    env = await startGatewayEnv();
    proxy = await TcpProxy.for(env.t.config.databaseUrl).start();
  });
  afterEach(() => proxy.restore()); // a failed test must not leave the next one without a database
  afterAll(async () => {
    await env?.close();
    await proxy?.close();
  });

  /** A gateway whose database (key checks, entitlements, ingestion) is behind the proxy. */
  const partitionedGateway = (journalDir?: string) => env.startGateway({
    config: { databaseUrl: proxy.via(env.t.config.databaseUrl) },
    env: { GATEWAY_USAGE_INGEST_TIMEOUT_MS: '1000', GATEWAY_JOURNAL_RETRY_MS: '100' },
    journalDir,
  });

  /** Requests from `workers` clients until `stop()`; counts the answers by status. */
  function traffic(gateway: StartedGateway, key: string, workers = 4) {
    const statuses: number[] = [];
    let running = true;
    const loops = Array.from({ length: workers }, async () => {
      while (running) {
        const res = await fetch(`${gateway.url}/metered/api/chat`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify(CHAT) });
        await res.text();
        statuses.push(res.status);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    return {
      statuses,
      ok: () => statuses.filter((s) => s === 200).length,
      async stop() {
        running = false;
        await Promise.all(loops);
        return statuses;
      },
    };
  }

  it('journals usage while the database is cut off mid-traffic and delivers all of it exactly once', async () => {
    const tenant = await env.tenant();
    const { key } = await env.key(tenant.id);
    const gateway = await partitionedGateway();
    const load = traffic(gateway, key);
    await waitFor('traffic before the cut', async () => load.ok() >= 20);
    await proxy.cut();
    const atCut = load.ok();
    const cutAt = Date.now();
    // longer than the key cache's 2 × GATEWAY_KEY_CACHE_MS: known keys are served from the stale cache
    await waitFor('traffic during the cut', async () => load.ok() >= atCut + 100 && Date.now() - cutAt > 4500, 10_000);
    await waitFor('usage journaled on disk', async () => (await env.journalSegments(gateway.journalDir)).length > 0);
    expect(gateway.logs.join('')).toContain('metering did not take usage; journaling it on disk until it does');
    await proxy.restore();
    const atRestore = load.ok();
    await waitFor('traffic after the restore', async () => load.ok() >= atRestore + 20);
    const statuses = await load.stop();

    // every request was answered (known keys keep working while the database is unreachable) ...
    expect(statuses.every((s) => s === 200)).toBe(true);
    const n = statuses.length;
    // ... and metered exactly once: n requests, 5 tokens each
    await waitForUsage(env, tenant.id, 'metered.requests', String(n), 20_000);
    await waitForUsage(env, tenant.id, 'metered.tokens', String(5 * n));
    await waitFor('journal emptied', async () => (await env.journalSegments(gateway.journalDir)).length === 0);
    const ready = await (await fetch(`${gateway.url}/health/ready`)).json();
    expect(ready).toMatchObject({ status: 'ok', checks: { usageJournal: 'empty' } });
    await gateway.close();
  });

  it('keeps journaled usage across a gateway restart; a segment delivered twice counts once', async () => {
    const tenant = await env.tenant();
    const { key } = await env.key(tenant.id);
    const dir = await mkdtemp(join(tmpdir(), 'werkbank-gateway-journal-'));
    const copy = await mkdtemp(join(tmpdir(), 'werkbank-gateway-journal-copy-'));
    try {
      const first = await partitionedGateway(dir);
      // the gateway knows the key before the cut
      expect((await fetch(`${first.url}/metered/api/tags`, { headers: bearer(key) })).status).toBe(200);
      await waitForUsage(env, tenant.id, 'metered.requests', '1');
      await proxy.cut();
      const load = traffic(first, key, 2);
      await waitFor('traffic during the cut', async () => load.ok() >= 30);
      const n = (await load.stop()).length;
      await first.close(); // the last usage cannot be sent either: journaled
      const segments = await env.journalSegments(dir);
      expect(segments.length).toBeGreaterThan(0);
      // what a crash between delivery and removal would leave: the same segments once more
      await Promise.all(segments.map((s) => copyFile(join(dir, s), join(copy, s))));
      await proxy.restore();

      const second = await partitionedGateway(dir); // delivers the journal at start
      await waitForUsage(env, tenant.id, 'metered.requests', String(1 + n), 20_000);
      await waitForUsage(env, tenant.id, 'metered.tokens', String(5 * n));
      await waitFor('journal emptied', async () => (await env.journalSegments(dir)).length === 0);
      await second.close();

      // what the copy holds: at least the n chat requests' 3 events each; a batch from before the cut
      // whose answer came after the ingest timeout is journaled too (committed, so a duplicate later)
      const copied = (await Promise.all(segments.map((seg) => readFile(join(copy, seg), 'utf8'))))
        .flatMap((text) => text.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { events: unknown[] }).events.length))
        .reduce((a, b) => a + b, 0);
      expect(copied).toBeGreaterThanOrEqual(3 * n);
      const third = await partitionedGateway(copy);
      await waitFor('copy delivered', async () => (await env.journalSegments(copy)).length === 0);
      const metrics = await (await fetch(`${third.url}/metrics`)).text();
      // every event of the copy is a duplicate: nothing is counted again
      expect(metrics).toContain(`werkbank_gateway_usage_events_total{outcome="duplicate"} ${copied}`);
      expect(metrics).toContain('werkbank_gateway_usage_events_total{outcome="accepted"} 0');
      expect(await env.usage(tenant.id)).toEqual({ 'metered.requests': String(1 + n), 'metered.tokens': String(5 * n) });
      await third.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(copy, { recursive: true, force: true });
    }
  });
});
