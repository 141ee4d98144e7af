import type { ExtractedUsage, GatewayContribution, GatewayExchange, GatewayRefusal, GatewayRequest, GatewayRoute, GatewayTenant } from '@werkbank/plugin-sdk';
import { baseUrl } from './searxng.client';
import { QUERIES_METER, type SearxngOptions } from './manifest';

/**
 * Whether an exchange with SearXNG's `/search` was a search, from what the gateway can see.
 * SearXNG (docs/dev/search_api.rst) takes its parameters from the query string (GET) or the
 * form body (POST, `application/x-www-form-urlencoded`); without `q` it answers its start page
 * (HTML, 200) or 400 (other formats). The gateway parses JSON answers but passes HTML through
 * unread, and streams form bodies to SearXNG without reading them, so:
 *
 * - not a 2xx answer: not a search (SearXNG refused it, or failed);
 * - a JSON answer: a search when it is a result page (it has `query`);
 * - otherwise (HTML, CSV, RSS, HEAD): a search when the query string has a non-empty `q`, or
 *   for a POST with a form body the gateway could not read (the form carries `q`: that is how
 *   SearXNG's own search box submits). A POST without a body, or with a JSON body (which SearXNG
 *   ignores), renders the start page and is not one.
 */
export function isSearch(exchange: Pick<GatewayExchange, 'method' | 'query' | 'requestHeaders' | 'requestBody' | 'status' | 'responseMessages'>): boolean {
  if (exchange.status < 200 || exchange.status >= 300) return false;
  const [answer] = exchange.responseMessages;
  if (typeof answer === 'object' && answer !== null && !Array.isArray(answer)) return typeof (answer as { query?: unknown }).query === 'string';
  if (typeof exchange.query.q === 'string' && exchange.query.q !== '') return true;
  if (exchange.method !== 'POST' || exchange.requestBody !== undefined) return false;
  return hasBody(exchange.requestHeaders);
}

/** One `searxng.queries` per search SearXNG answered. */
export function extractSearchUsage(exchange: GatewayExchange): ExtractedUsage[] {
  return isSearch(exchange) ? [{ meter: QUERIES_METER, quantity: '1' }] : [];
}

/** HTTP/1.1: a request has a body exactly when it declares a non-zero length or a transfer coding */
function hasBody(headers: Record<string, string>): boolean {
  const length = headers['content-length'];
  return (length !== undefined && length.trim() !== '0') || headers['transfer-encoding'] !== undefined;
}

/**
 * Only a SearXNG service's own key searches: the monthly query limit comes with the service, and
 * the core refuses that key while the service is suspended. Any other key with the scope
 * `gateway:searxng` (e.g. made with POST /v1/tenants/:id/api-keys) would escape both.
 */
export function requireService(_request: GatewayRequest, tenant: GatewayTenant): GatewayRefusal | undefined {
  if (tenant.instanceId) return undefined;
  return {
    status: 403,
    code: 'searxng.no_service',
    detail: 'This key belongs to no SearXNG service. Use the apiKey from your SearXNG service\'s credentials (POST /v1/tenants/:id/services {"plugin":"searxng"} to request one).',
  };
}

/** `/searxng/search`, GET (query string) and POST (form body or query string), every format SearXNG serves. */
export const routes: GatewayRoute[] = [
  { method: 'GET', path: '/search', access: 'tenant', streaming: 'none', authorize: requireService, extractUsage: extractSearchUsage },
  { method: 'POST', path: '/search', access: 'tenant', streaming: 'none', authorize: requireService, extractUsage: extractSearchUsage },
];

export const gateway: GatewayContribution<SearxngOptions> = {
  upstreams: (options) => [baseUrl(options.url)],
  routes,
};
