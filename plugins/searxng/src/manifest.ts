import type { ServicePluginManifest } from '@werkbank/plugin-sdk';

/**
 * The operator's configuration of this plugin: the JSON in WERKBANK_PLUGIN_SEARXNG_OPTIONS,
 * validated by the plugin host against `manifest.optionsSchema` before any call.
 */
export interface SearxngOptions {
  /** base URL of the service's HTTP API, e.g. https://searxng.example.com */
  baseUrl: string;
  /** an admin token of the service: it creates and removes projects (never logged) */
  adminToken: string;
}

/** API requests an instance served; the usage collector reports it. */
export const REQUESTS_METER = 'searxng.requests';
/** How many requests a month an instance may serve; plans set it, the provisioner applies it. */
export const MONTHLY_REQUEST_LIMIT = 'searxng.monthlyRequestLimit';
export const DEFAULT_MONTHLY_REQUEST_LIMIT = 10000;

export const manifest: ServicePluginManifest = {
  id: 'searxng',
  version: '0.1.0',
  sdkCompatibility: '^1.0.0',
  displayName: 'Searxng',
  description: 'A project per tenant on a Searxng server.',
  optionsSchema: {
    type: 'object',
    required: ['baseUrl', 'adminToken'],
    additionalProperties: false,
    properties: {
      baseUrl: { type: 'string', format: 'uri', description: 'Base URL of the service API, e.g. https://searxng.example.com' },
      adminToken: { type: 'string', minLength: 1, writeOnly: true, description: 'Admin token of the service (creates and removes projects)' },
    },
  },
  modes: ['shared'],
  meters: [{ key: REQUESTS_METER, unit: 'request', aggregation: 'sum', description: 'API requests served for the instance' }],
  suggestedPrices: [
    {
      meter: REQUESTS_METER,
      currency: 'EUR',
      unitPrice: '0.10',
      perQuantity: '1000',
      model: 'package',
      includedQuantity: '1000',
      description: '0.10 EUR per started 1000 requests; the first 1000 a month are included',
    },
  ],
  entitlementKeys: [
    { key: MONTHLY_REQUEST_LIMIT, type: 'integer', default: DEFAULT_MONTHLY_REQUEST_LIMIT, description: 'Requests a month the instance may serve' },
  ],
};
