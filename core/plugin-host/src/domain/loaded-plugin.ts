import type { ServicePlugin, ServicePluginManifest } from '@werkbank/plugin-sdk';

/** A plugin to load: found by discovery, or handed in (tests, the plugin testkit). */
export interface PluginCandidate {
  /** `@werkbank/plugin-<id>` */
  packageName: string;
  plugin: ServicePlugin;
  /** for first-party plugins: the folder under `plugins/`, which must equal the id */
  folder?: string;
}

export type PluginStatus = 'ready' | 'not_configured';

/** A plugin that passed every check at start-up. */
export interface LoadedPlugin {
  id: string;
  packageName: string;
  version: string;
  manifest: ServicePluginManifest;
  plugin: ServicePlugin;
  /** `not_configured`: required options are missing; listed, but nothing may be provisioned */
  status: PluginStatus;
  /** the validated options with defaults applied (frozen); never shown to API callers */
  options: Readonly<Record<string, unknown>>;
  /** why the plugin is `not_configured`, for the operator's log (no secret values) */
  configurationProblem?: string;
}
