// Streaming through the metering gateway: chunks pass as the upstream sends them (asserted on
// timing against the fake upstream), usage is read from the messages on the way, and lands in
// GET /v1/tenants/:id/usage.
import { performance } from 'node:perf_hooks';
import { bearer, GatewayEnv, startGatewayEnv, waitForUsage } from '../support/gateway-env';

/** Reads a streamed response; returns each complete line (NDJSON) or event (SSE) with when it arrived. */
async function readStream(res: Response, separator: '\n' | '\n\n'): Promise<Array<{ text: string; at: number }>> {
  const out: Array<{ text: string; at: number }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const at = performance.now();
    buffer += decoder.decode(chunk, { stream: true });
    let i: number;
    while ((i = buffer.indexOf(separator)) >= 0) {
      out.push({ text: buffer.slice(0, i), at });
      buffer = buffer.slice(i + separator.length);
    }
  }
  if (buffer) out.push({ text: buffer, at: performance.now() });
  return out;
}

describe('metering gateway: streaming and usage', () => {
  let env: GatewayEnv;
  let tenant: { id: string };
  let key: string;

  beforeAll(async () => {
    env = await startGatewayEnv();
    tenant = await env.tenant();
    key = (await env.key(tenant.id)).key;
  });
  afterAll(() => env?.close());
  beforeEach(() => env.upstream.reset());

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${env.url}/metered${path}`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('passes NDJSON chunk by chunk: each line arrives as the upstream sends it, not at the end', async () => {
    const res = await post('/api/chat', { model: 'llama3', chunks: 5, intervalMs: 200 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const requestId = res.headers.get('x-request-id')!;
    const lines = await readStream(res, '\n');
    const sent = env.upstream.chunkTimes.get(requestId)!;
    expect(lines).toHaveLength(6);
    expect(sent).toHaveLength(6);
    // the first line is read a whole second before the upstream writes the last one ...
    expect(sent[5] - lines[0].at).toBeGreaterThan(800);
    // ... and every line within a few milliseconds of leaving the upstream
    lines.forEach((line, i) => expect(line.at - sent[i]).toBeLessThan(100));
    expect(JSON.parse(lines[5].text)).toMatchObject({ done: true, eval_count: 5 });
  });

  it('passes SSE event by event, asks the upstream for usage and hides it from a client that did not ask', async () => {
    const res = await post('/v1/chat/completions', { model: 'gpt', stream: true, chunks: 4, intervalMs: 150 });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const requestId = res.headers.get('x-request-id')!;
    const events = await readStream(res, '\n\n');
    const sent = env.upstream.chunkTimes.get(requestId)!;
    // 4 deltas and [DONE] reach the client; the usage chunk the gateway asked for does not
    expect(events.map((e) => e.text)).toEqual([
      ...[0, 1, 2, 3].map((i) => `data: ${JSON.stringify({ choices: [{ delta: { content: `tok${i}` } }] })}`),
      'data: [DONE]',
    ]);
    expect(sent).toHaveLength(6);
    expect(sent[5] - events[0].at).toBeGreaterThan(400);
    events.slice(0, 4).forEach((event, i) => expect(event.at - sent[i]).toBeLessThan(100));
    expect(JSON.parse(env.upstream.requests[0].body)).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('passes the usage chunk to a client that asked for it', async () => {
    const res = await post('/v1/chat/completions', { stream: true, chunks: 2, stream_options: { include_usage: true } });
    const events = (await readStream(res, '\n\n')).map((e) => e.text);
    expect(events).toContain(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2 } })}`);
    expect(events).toHaveLength(4);
  });

  it('meters every request into GET /v1/tenants/:id/usage, streaming or not', async () => {
    const own = await env.tenant();
    const ownKey = (await env.key(own.id)).key;
    const send = (path: string, body: unknown) => post(path, body, bearer(ownKey)).then((r) => r.text());
    await send('/api/chat', { chunks: 3, promptTokens: 7 }); // 7 + 3 tokens
    await send('/api/chat', { chunks: 2, stream: false, promptTokens: 4 }); // plain JSON: 4 + 2
    await send('/v1/chat/completions', { stream: true, chunks: 5, promptTokens: 1 }); // 1 + 5
    await send('/v1/chat/completions', { chunks: 1, promptTokens: 2 }); // not streamed: 2 + 1
    await fetch(`${env.url}/metered/api/tags`, { headers: bearer(ownKey) }).then((r) => r.text());
    await waitForUsage(env, own.id, 'metered.requests', '5');
    expect(await env.usage(own.id)).toEqual({ 'metered.requests': '5', 'metered.tokens': '25' });
  });

  it('stops the upstream when the client goes away, and still meters the request', async () => {
    const own = await env.tenant();
    const ownKey = (await env.key(own.id)).key;
    const res = await post('/api/chat', { chunks: 50, intervalMs: 50 }, bearer(ownKey));
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    const deadline = Date.now() + 3000;
    while (env.upstream.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(env.upstream.active).toBe(0);
    const sent = [...env.upstream.chunkTimes.values()][0];
    expect(sent.length).toBeLessThan(50);
    await waitForUsage(env, own.id, 'metered.requests', '1');
    expect((await env.usage(own.id))['metered.tokens']).toBeUndefined(); // no final message, no tokens
  });
});
