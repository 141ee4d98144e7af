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
  /** may rewrite the forwarded JSON body (e.g. ask for usage the client did not ask for) */
  rewriteRequest?(body: unknown): unknown;
  /** drops messages the client must not see (e.g. a usage chunk the gateway asked for) */
  filterResponseMessage?(message: unknown, requestBody: unknown): boolean;
  extractUsage?(exchange: GatewayExchange): ExtractedUsage[];
}

export interface GatewayContribution<Options = Record<string, unknown>> {
  /** upstream base URLs from the operator's options, e.g. the Ollama GPU nodes */
  upstreams(options: Options): string[];
  routes: GatewayRoute[];
}
