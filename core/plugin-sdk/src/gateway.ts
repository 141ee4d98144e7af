import type { Entitlements } from './manifest';
import type { UsageRecord } from './usage';

/** A request as the metering gateway saw it, for a usage extractor. */
export interface GatewayExchange {
  method: string;
  /** the path below `/<pluginId>`, e.g. '/api/chat' */
  path: string;
  query: Record<string, string>;
  requestHeaders: Record<string, string>;
  /** parsed JSON request body, if any */
  requestBody?: unknown;
  status: number;
  responseHeaders: Record<string, string>;
  /** for JSON responses: the parsed body; for NDJSON/SSE: every parsed message in order */
  responseMessages: unknown[];
  /** milliseconds from forwarding the request to the last byte of the response */
  upstreamMs: number;
  tenantId: string;
  requestId: string;
  /** (since SDK 1.2) who called, with the instance's entitlements */
  tenant: GatewayTenant;
}

/** Usage without idempotency key and timestamp: the gateway adds both per request. */
export type ExtractedUsage = Omit<UsageRecord, 'idempotencyKey' | 'timestamp'>;

export interface GatewayRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | '*';
  /** path pattern below `/<pluginId>`, e.g. '/api/chat' or '/collections/:name/points/search' */
  path: string;
  /** 'tenant' routes are served to gateway keys; 'operator' routes are refused to tenants */
  access: 'tenant' | 'operator';
  /** how the upstream streams its answer, so the gateway can pass chunks through */
  streaming?: 'none' | 'ndjson' | 'sse';
  /**
   * (since SDK 1.2) decides per request, before anything is forwarded, e.g. whether the tenant's
   * entitlements allow the model it asks for; a refusal is answered as problem+json
   */
  authorize?(request: GatewayRequest, tenant: GatewayTenant): GatewayRefusal | undefined;
  /**
   * (since SDK 1.2) the path the upstream gets instead of `request.path` (the query string is
   * kept), e.g. a collection name moved into the tenant's namespace
   */
  rewritePath?(path: string, tenant: GatewayTenant): string;
  /**
   * may rewrite the forwarded JSON body (e.g. ask for usage the client did not ask for);
   * `tenant` since SDK 1.2
   */
  rewriteRequest?(body: unknown, tenant: GatewayTenant): unknown;
  /**
   * (since SDK 1.2) rewrites a JSON (non-streaming) answer before the client gets it, whatever
   * its status: e.g. list only the tenant's collections, under the tenant's own names. The
   * gateway buffers such answers; return the body unchanged when there is nothing to do.
   */
  rewriteResponse?(body: unknown, context: GatewayResponseContext): unknown;
  /** drops messages the client must not see (e.g. a usage chunk the gateway asked for) */
  filterResponseMessage?(message: unknown, requestBody: unknown): boolean;
  extractUsage?(exchange: GatewayExchange): ExtractedUsage[];
}

/** Who is calling, as the gateway knows it from the key (since SDK 1.2). */
export interface GatewayTenant {
  tenantId: string;
  /** the tenant's stable, DNS-safe slug (as `TenantInfo.slug`), for namespacing upstream resources */
  slug: string;
  kind: 'operator' | 'reseller' | 'organization';
  /** the service instance the key was issued for; absent for other keys (e.g. an operator's `*` key) */
  instanceId?: string;
  /** the instance's entitlements; the manifest's defaults for keys without an instance */
  entitlements: Entitlements;
}

/** The client's request as a route hook sees it (since SDK 1.2). */
export interface GatewayRequest {
  method: string;
  /** below `/<pluginId>`, as the client sent it */
  path: string;
  query: Record<string, string>;
  /** the parsed JSON body, when the route reads it (it has `authorize`, `rewriteRequest`, … and the body is JSON) */
  body?: unknown;
}

/** What `rewriteResponse` knows about the exchange (since SDK 1.2). */
export interface GatewayResponseContext {
  request: GatewayRequest;
  tenant: GatewayTenant;
  status: number;
}

/** A refusal a route hook returns; the gateway answers it as problem+json (since SDK 1.2). */
export interface GatewayRefusal {
  status: 400 | 403 | 404 | 409 | 422 | 429;
  /** stable, `<pluginId>.<reason>`, e.g. 'ollama.model_not_allowed' */
  code: string;
  /** for the client: what is wrong and what to do */
  detail: string;
}

export interface GatewayContribution<Options = Record<string, unknown>> {
  /** upstream base URLs from the operator's options, e.g. the Ollama GPU nodes */
  upstreams(options: Options): string[];
  /**
   * the routes; or (since SDK 1.2) a function building them once from the operator's options,
   * when hooks need them (e.g. a model tier map)
   */
  routes: GatewayRoute[] | ((options: Options) => GatewayRoute[]);
  /**
   * (since SDK 1.2) headers added to every forwarded request after the client's credentials are
   * removed, e.g. the operator's Qdrant `api-key`; they never reach a client or a log
   */
  upstreamHeaders?(options: Options): Record<string, string>;
  /**
   * (since SDK 1.2) the per-key rate limit from the tenant's entitlements, instead of the
   * gateway-wide default; `undefined` keeps the default
   */
  rateLimit?(tenant: GatewayTenant): { requestsPerMinute: number } | undefined;
}
