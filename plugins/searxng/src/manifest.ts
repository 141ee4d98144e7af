import type { ServicePluginManifest } from '@werkbank/plugin-sdk';

/**
 * The operator's configuration of this plugin: the JSON in WERKBANK_PLUGIN_SEARXNG_OPTIONS,
 * validated by the plugin host against `manifest.optionsSchema` before any call.
 */
export interface SearxngOptions {
  /** base URL of the shared SearXNG (the gateway's upstream), e.g. http://searxng.internal:8080 */
  url: string;
  /** public URL of the Werkbank gateway, for the endpoint shown to tenants, e.g. https://gateway.example.com */
  gatewayUrl?: string;
}

/** Searches the gateway forwarded and SearXNG answered successfully. */
export const QUERIES_METER = 'searxng.queries';
/** Searches a month a tenant may make; the core keeps it as the hard limit of the meter's monthly quota. */
export const MONTHLY_QUERY_LIMIT = 'searxng.monthlyQueryLimit';
/** the Basic tariff's fair-use quota (product.md: "SearXNG (10,000 queries/month fair-use quota)") */
export const DEFAULT_MONTHLY_QUERY_LIMIT = 10000;

/** http(s), without user info: the gateway cannot send credentials in an upstream URL */
export const URL_PATTERN = '^https?://[^/@]+(/[^@]*)?$';

export const manifest: ServicePluginManifest = {
  id: 'searxng',
  version: '1.0.0',
  sdkCompatibility: '^1.2.0',
  displayName: 'SearXNG',
  description: 'Private meta search on a shared SearXNG, through the metering gateway (JSON and HTML), with a monthly query limit per tenant.',
  optionsSchema: {
    type: 'object',
    required: ['url'],
    additionalProperties: false,
    properties: {
      url: {
        type: 'string',
        format: 'uri',
        pattern: URL_PATTERN,
        description: 'Base URL of the shared SearXNG, e.g. http://searxng.internal:8080 (no user:password@); the gateway forwards /searxng/search to <url>/search',
      },
      gatewayUrl: {
        type: 'string',
        format: 'uri',
        pattern: '^https?://',
        description: 'Public URL of the Werkbank gateway (GATEWAY_PORT), e.g. https://gateway.example.com; tenants are shown <gatewayUrl>/searxng/search',
      },
    },
  },
  modes: ['shared'],
  meters: [
    {
      key: QUERIES_METER,
      unit: 'query',
      aggregation: 'sum',
      description: 'Searches SearXNG answered with 2xx through the gateway (GET and POST /search, any format, each page one search)',
    },
  ],
  // product.md: SearXNG is included in the Basic tariff up to a quota, so no price is suggested
  entitlementKeys: [
    {
      key: MONTHLY_QUERY_LIMIT,
      type: 'integer',
      default: DEFAULT_MONTHLY_QUERY_LIMIT,
      quota: { meter: QUERIES_METER, limit: 'hard' },
      description: 'Searches a calendar month the tenant may make; beyond it the gateway answers 429 quota.exceeded until the month ends',
    },
  ],
};
