// Where the gateway's usage ingestion runs: by default in a worker thread of its own (core/platform's
// gateway-ingestion.worker, built into core/platform/dist), so none of it runs on the thread that
// serves requests; with GATEWAY_USAGE_INGEST_THREAD=false in that thread, as before. Either way
// the usage reaches metering exactly once.
import { GATEWAY_USAGE_SINK, UsageIngestionThread } from '@werkbank/gateway';
import { UsageIngestion } from '@werkbank/metering';
import { readdirSync, readFileSync } from 'node:fs';
import { bearer, GatewayEnv, startGatewayEnv, StartedGateway, waitForUsage } from '../support/gateway-env';
import { waitFor } from '../support/wait-for';

/** The nice value (field 19) in a /proc stat file. */
function niceOf(file: string): number {
  const stat = readFileSync(file, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** The nice values of this process's threads. */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => niceOf(`/proc/self/task/${tid}/stat`));
}

/** Each chat request is metered as 1 request + 2 token events (prompt 3 + completion 2 = 5 tokens). */
const CHAT = { chunks: 2, promptTokens: 3 };

describe('metering gateway: the usage ingestion thread', () => {
  let env: GatewayEnv;

  beforeAll(async () => {
    env = await startGatewayEnv();
  });
  afterAll(async () => {
    await env?.close();
  });
  afterEach(() => jest.restoreAllMocks());

  async function chat(gateway: StartedGateway, key: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${gateway.url}/metered/api/chat`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify(CHAT) });
      await res.text();
      expect(res.status).toBe(200);
    }
  }

  it('ingests in a worker thread by default: metering gets every event, the request thread ingests none', async () => {
    const inThisThread = jest.spyOn(UsageIngestion.prototype, 'ingest');
    const niceBefore = niceOf('/proc/self/stat');
    const atTen = () => threadNiceValues().filter((n) => n === 10).length;
    await waitFor('the first gateway\'s ingestion thread at nice 10', async () => atTen() >= 1);
    const atTenBefore = atTen();
    const gateway = await env.startGateway();
    try {
      expect(gateway.gateway.app.get(GATEWAY_USAGE_SINK)).toBeInstanceOf(UsageIngestionThread);
      // Linux: the thread runs at GATEWAY_USAGE_INGEST_NICE (10), the process's main thread as it was
      await waitFor('one more thread at nice 10', async () => atTen() === atTenBefore + 1);
      expect(niceOf('/proc/self/stat')).toBe(niceBefore);
      const tenant = await env.tenant();
      const { key } = await env.key(tenant.id);
      await chat(gateway, key, 12);
      await waitForUsage(env, tenant.id, 'metered.requests', '12');
      await waitForUsage(env, tenant.id, 'metered.tokens', '60');
      expect(inThisThread).not.toHaveBeenCalled();
    } finally {
      await gateway.close();
    }
  });

  it('sends the last usage through the thread when it stops', async () => {
    const tenant = await env.tenant();
    const { key } = await env.key(tenant.id);
    // a flush interval longer than the test: only the shutdown sends it
    const gateway = await env.startGateway({ env: { GATEWAY_USAGE_FLUSH_MS: '600000' } });
    await chat(gateway, key, 5);
    expect(await env.usage(tenant.id)).toEqual({});
    await gateway.close();
    await waitForUsage(env, tenant.id, 'metered.requests', '5');
  });

  it('ingests in the request thread with GATEWAY_USAGE_INGEST_THREAD=false', async () => {
    const inThisThread = jest.spyOn(UsageIngestion.prototype, 'ingest');
    const gateway = await env.startGateway({ env: { GATEWAY_USAGE_INGEST_THREAD: 'false' } });
    try {
      expect(() => gateway.gateway.app.get(GATEWAY_USAGE_SINK)).toThrow();
      const tenant = await env.tenant();
      const { key } = await env.key(tenant.id);
      await chat(gateway, key, 3);
      await waitForUsage(env, tenant.id, 'metered.requests', '3');
      expect(inThisThread).toHaveBeenCalled();
    } finally {
      await gateway.close();
    }
  });
});
