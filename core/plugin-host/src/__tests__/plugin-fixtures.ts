import { pluginPackageName } from '@werkbank/plugin-sdk';
import type { ServicePlugin, ServicePluginManifest } from '@werkbank/plugin-sdk';
import type { PluginCandidate } from '../domain/loaded-plugin';

/** A manifest that passes every check; override what a test is about. */
export function manifest(id = 'demo', overrides: Partial<ServicePluginManifest> = {}): ServicePluginManifest {
  return {
    id,
    version: '1.2.3',
    sdkCompatibility: '^1.0.0',
    displayName: `Demo ${id}`,
    description: 'A plugin for tests',
    optionsSchema: {
      type: 'object',
      properties: {
        baseUrl: { type: 'string', format: 'uri', pattern: '^https?://' },
        adminPassword: { type: 'string', writeOnly: true, minLength: 8 },
        timeoutMs: { type: 'integer', minimum: 100, default: 5000 },
        upstreams: { type: 'array', items: { type: 'string', pattern: '^https?://' } },
      },
      required: ['baseUrl', 'adminPassword'],
      additionalProperties: false,
    },
    modes: ['shared'],
    meters: [
      { key: `${id}.requests`, unit: 'request', aggregation: 'count', description: 'Requests served' },
      { key: `${id}.tokens`, unit: 'token', aggregation: 'sum', description: 'Tokens', dimensions: ['model'] },
    ],
    suggestedPrices: [{ meter: `${id}.tokens`, currency: 'EUR', unitPrice: '0.20', perQuantity: '1000000', model: 'per_unit', dimensions: { model: 'llama3' }, description: 'per million tokens' }],
    entitlementKeys: [{ key: `${id}.maxModels`, type: 'integer', description: 'Models a tenant may load', default: 2 }],
    ...overrides,
  };
}

export function plugin(id = 'demo', overrides: Partial<ServicePluginManifest> = {}, capabilities: Omit<ServicePlugin, 'manifest'> = {}): ServicePlugin {
  return { manifest: manifest(id, overrides), ...capabilities };
}

export function candidate(p: ServicePlugin, packageName = pluginPackageName(p.manifest.id), folder?: string): PluginCandidate {
  return { packageName, plugin: p, ...(folder ? { folder } : {}) };
}

/** Valid options for `manifest()`, as the operator would put them in the environment. */
export const GOOD_OPTIONS = JSON.stringify({ baseUrl: 'https://demo.example', adminPassword: 's3cret-admin-pw' });
