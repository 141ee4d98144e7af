import type { ServicePluginManifest } from '@werkbank/plugin-sdk';

/**
 * The operator's configuration of this plugin: the JSON in WERKBANK_PLUGIN_QDRANT_OPTIONS,
 * validated by the plugin host against `manifest.optionsSchema` before any call.
 */
export interface QdrantOptions {
  /** base URL of the shared Qdrant's REST API, e.g. http://qdrant.internal:6333 */
  url: string;
  /** the operator's Qdrant API key: sent upstream by the gateway and the plugin only, never logged */
  apiKey: string;
  /** seconds a deprovisioned instance's collections are kept before they are deleted (default 7 days) */
  deprovisionGraceSeconds?: number;
  /** where tenants reach the gateway's Qdrant routes, e.g. https://gateway.example.com/qdrant (endpoints.api) */
  publicUrl?: string;
}

/** Searches, queries, recommendations, discoveries, scrolls and counts the gateway forwarded successfully. */
export const QUERIES_METER = 'qdrant.queries';
/** Points stored in the instance's collections, sampled by the usage collector. */
export const POINTS_METER = 'qdrant.points';

export const DEFAULT_DEPROVISION_GRACE_SECONDS = 7 * 24 * 3600;

export const manifest: ServicePluginManifest = {
  id: 'qdrant',
  version: '0.2.0',
  sdkCompatibility: '^1.2.0',
  displayName: 'Qdrant',
  description: 'Collections on a shared Qdrant, isolated per tenant by the metering gateway.',
  optionsSchema: {
    type: 'object',
    required: ['url', 'apiKey'],
    additionalProperties: false,
    properties: {
      url: { type: 'string', format: 'uri', description: 'Base URL of the shared Qdrant REST API, e.g. http://qdrant.internal:6333' },
      apiKey: { type: 'string', minLength: 1, writeOnly: true, description: "The operator's Qdrant API key (Qdrant's service.api_key); never leaves the gateway and the worker" },
      deprovisionGraceSeconds: {
        type: 'integer',
        minimum: 0,
        maximum: 365 * 24 * 3600,
        default: DEFAULT_DEPROVISION_GRACE_SECONDS,
        description: "Seconds a deprovisioned service's collections are kept (unreachable for the tenant) before they are deleted; default 604800 (7 days), 0 deletes at once",
      },
      publicUrl: { type: 'string', format: 'uri', description: "Public URL of the gateway's Qdrant routes, e.g. https://gateway.example.com/qdrant; given to tenants as endpoints.api" },
    },
  },
  modes: ['shared'],
  meters: [
    {
      key: QUERIES_METER,
      unit: 'query',
      aggregation: 'sum',
      description: 'Successful searches, queries, recommendations, discoveries, scrolls, counts, facets and distance matrices (each search of a batch counts)',
    },
    {
      key: POINTS_METER,
      unit: 'point',
      aggregation: 'time_weighted',
      description: "Points stored in the tenant's collections (points_count), sampled by the usage collector",
    },
  ],
  suggestedPrices: [
    {
      meter: QUERIES_METER,
      currency: 'EUR',
      unitPrice: '0.10',
      perQuantity: '1000',
      model: 'per_unit',
      description: '0.10 EUR per 1,000 queries, pro rata',
    },
  ],
};
