import type { EntitlementKeyDefinition, HealthStatus, MeterDefinition, PriceSuggestion, ServiceMode } from '@werkbank/plugin-sdk';
import type { LoadedPlugin } from '../domain/loaded-plugin';

export type PluginViewStatus = 'ready' | 'not_configured' | 'unhealthy';

/** What API callers see of a plugin: its declarations and health, never its options. */
export interface PluginView {
  id: string;
  packageName: string;
  version: string;
  displayName: string;
  description: string;
  status: PluginViewStatus;
  modes: ServiceMode[];
  meters: MeterDefinition[];
  entitlementKeys: EntitlementKeyDefinition[];
  suggestedPrices: PriceSuggestion[];
  health: HealthStatus | null;
}

/** Copies only documented fields, so nothing else a plugin attached to its manifest leaks out. */
function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const result = {} as Pick<T, K>;
  for (const key of keys) if (value[key] !== undefined) result[key] = value[key];
  return result;
}

export function toPluginView(plugin: LoadedPlugin, health: HealthStatus | null): PluginView {
  const { manifest } = plugin;
  return {
    id: plugin.id,
    packageName: plugin.packageName,
    version: plugin.version,
    displayName: manifest.displayName,
    description: manifest.description,
    status: plugin.status === 'ready' && health?.status === 'unhealthy' ? 'unhealthy' : plugin.status,
    modes: [...manifest.modes],
    meters: manifest.meters.map((m) => pick(m, ['key', 'unit', 'aggregation', 'description', 'dimensions', 'valueProperty'])),
    entitlementKeys: (manifest.entitlementKeys ?? []).map((e) => pick(e, ['key', 'type', 'description', 'values', 'default'])),
    suggestedPrices: (manifest.suggestedPrices ?? []).map((p) =>
      pick(p, ['meter', 'currency', 'unitPrice', 'perQuantity', 'model', 'includedQuantity', 'dimensions', 'description'])),
    health,
  };
}
