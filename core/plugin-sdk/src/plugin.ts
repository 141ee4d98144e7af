import type { GatewayContribution } from './gateway';
import type { HealthCheck } from './health';
import type { ServicePluginManifest } from './manifest';
import type { ServiceProvisioner } from './provisioning';
import type { UsageCollector } from './usage';

/** A plugin: a manifest plus up to four capabilities. The package's default export. */
export interface ServicePlugin<Options = Record<string, unknown>> {
  manifest: ServicePluginManifest;
  provisioner?: ServiceProvisioner<Options>;
  usageCollector?: UsageCollector<Options>;
  gateway?: GatewayContribution<Options>;
  health?: HealthCheck<Options>;
}

/** Identity function that gives a plugin definition its types. */
export function defineServicePlugin<Options = Record<string, unknown>>(plugin: ServicePlugin<Options>): ServicePlugin<Options> {
  return plugin;
}

/** Package name of a plugin: `@werkbank/plugin-<id>`. */
export function pluginPackageName(id: string): string {
  return `@werkbank/plugin-${id}`;
}

export const PLUGIN_ID_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
