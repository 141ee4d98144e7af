import type { GatewayExchange, GatewayRoute } from '@werkbank/plugin-sdk';
import plugin from './index';
import { QUERIES_METER } from './manifest';
import { extractSearchUsage, requireService } from './searxng.gateway';

const tenant = { tenantId: 'tenant-1', slug: 't-000000000001', kind: 'organization' as const, entitlements: {} };

/** An exchange as the gateway builds it: HTML answers and form bodies are never parsed. */
function exchange(over: Partial<GatewayExchange>): GatewayExchange {
  return {
    method: 'GET',
    path: '/search',
    query: {},
    requestHeaders: {},
    status: 200,
    responseHeaders: { 'content-type': 'text/html; charset=utf-8' },
    responseMessages: [],
    upstreamMs: 12,
    tenantId: tenant.tenantId,
    requestId: 'req-1',
    tenant,
    ...over,
  };
}

const ONE = [{ meter: QUERIES_METER, quantity: '1' }];
const form = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '21' };
const jsonResults = { query: 'werkbank', number_of_results: 0, results: [], answers: [], corrections: [], infoboxes: [], suggestions: [], unresponsive_engines: [] };

describe('searxng gateway routes', () => {
  const routes = plugin.gateway!.routes as GatewayRoute[];

  it('serves GET and POST /search to tenants, unbuffered, each metered, in front of the configured SearXNG', () => {
    expect(routes.map((r) => [r.method, r.path, r.access, r.streaming])).toEqual([
      ['GET', '/search', 'tenant', 'none'],
      ['POST', '/search', 'tenant', 'none'],
    ]);
    expect(routes.every((r) => r.extractUsage === extractSearchUsage && r.authorize === requireService)).toBe(true);
    // no hook that makes the gateway buffer or rewrite answers: HTML and JSON pass through as SearXNG sent them
    expect(routes.some((r) => r.rewriteResponse || r.rewriteRequest || r.filterResponseMessage)).toBe(false);
    expect(plugin.gateway!.upstreams({ url: 'http://searxng.internal:8080/' })).toEqual(['http://searxng.internal:8080']);
  });
});

describe('searxng gateway: only a service key searches', () => {
  const request = { method: 'GET', path: '/search', query: { q: 'werkbank' } };

  it("lets a SearXNG service's key through", () => {
    expect(requireService(request, { ...tenant, instanceId: '0190aaaa-0000-7000-8000-0000000000a1' })).toBeUndefined();
  });

  it('refuses a key that belongs to no service (it would escape the monthly limit and suspension) with 403 searxng.no_service', () => {
    expect(requireService(request, tenant)).toEqual({ status: 403, code: 'searxng.no_service', detail: expect.stringContaining("SearXNG service's credentials") });
  });
});

describe('searxng usage: one searxng.queries per search SearXNG answered', () => {
  it.each([
    ['GET ?q=… in HTML (the default format), answer not parsed', exchange({ query: { q: 'werkbank' } })],
    ['GET ?q=…&format=json, the parsed result page', exchange({ query: { q: 'werkbank', format: 'json' }, responseHeaders: { 'content-type': 'application/json' }, responseMessages: [jsonResults] })],
    ['GET ?q=…&pageno=2: every page is a search', exchange({ query: { q: 'werkbank', pageno: '2' } })],
    ['GET ?q=…&format=csv (a format the operator enabled)', exchange({ query: { q: 'werkbank', format: 'csv' }, responseHeaders: { 'content-type': 'application/csv' } })],
    ['POST with a form body the gateway streams unread, HTML answer', exchange({ method: 'POST', requestHeaders: form })],
    ['POST with a chunked form body', exchange({ method: 'POST', requestHeaders: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' } })],
    ['POST with a form body asking for JSON: the parsed result page', exchange({ method: 'POST', requestHeaders: form, responseHeaders: { 'content-type': 'application/json' }, responseMessages: [jsonResults] })],
    ['POST with q in the query string and no body', exchange({ method: 'POST', query: { q: 'werkbank' } })],
    ['HEAD ?q=… (served by the GET route; SearXNG searched)', exchange({ method: 'HEAD', query: { q: 'werkbank' } })],
  ])('counts %s', (_name, x) => {
    expect(extractSearchUsage(x)).toEqual(ONE);
  });

  it.each([
    ['GET without q: the start page', exchange({})],
    ['GET with an empty q: the start page', exchange({ query: { q: '' } })],
    ['POST without a body and without q: the start page', exchange({ method: 'POST', requestHeaders: { 'content-length': '0' } })],
    ['POST with a JSON body (SearXNG reads only forms and the query string)', exchange({ method: 'POST', requestHeaders: { 'content-type': 'application/json', 'content-length': '15' }, requestBody: { q: 'werkbank' } })],
    ['a JSON answer without query (not a result page)', exchange({ query: { q: 'werkbank', format: 'json' }, responseMessages: [{ error: 'something' }] })],
    ['400 No query', exchange({ query: { format: 'json' }, status: 400, responseMessages: [{ error: 'No query' }] })],
    ['403 (a format the operator did not enable)', exchange({ query: { q: 'werkbank', format: 'rss' }, status: 403 })],
    ['429 (SearXNG limiter)', exchange({ query: { q: 'werkbank' }, status: 429 })],
    ['500 search error', exchange({ method: 'POST', requestHeaders: form, status: 500 })],
    ['a redirect (308 from an external bang)', exchange({ query: { q: '!g werkbank' }, status: 302 })],
  ])('does not count %s', (_name, x) => {
    expect(extractSearchUsage(x)).toEqual([]);
  });
});
