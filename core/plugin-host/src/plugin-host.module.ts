import { DynamicModule, Module } from '@nestjs/common';
import { loadPlugins } from './application/plugin-loader';
import { PLUGIN_LOAD_RESULT, PluginRegistry } from './application/plugin-registry';
import type { PluginCandidate } from './domain/loaded-plugin';
import { MeterRegistry } from './domain/meter-registry';
import type { Env } from './domain/plugin-env';
import { PluginsController } from './infrastructure/http/plugins.controller';
import { discoverPlugins } from './infrastructure/plugin-discovery';

export interface PluginHostOptions {
  /** these plugins instead of discovery (tests, the plugin testkit) */
  plugins?: PluginCandidate[];
  /** where WERKBANK_PLUGINS and WERKBANK_PLUGIN_<ID>_* are read (default: process.env) */
  env?: Record<string, string | undefined>;
}

/**
 * Discovers, validates and registers the service plugins, and serves GET /v1/plugins.
 * Loading happens here, synchronously, before Nest builds anything: a broken or misconfigured
 * plugin throws `PluginLoadError` (a ConfigError) straight out of the process's module setup.
 * Global, so every context can inject `PluginRegistry` and `MeterRegistry`.
 */
@Module({})
export class PluginHostModule {
  static forRoot(options: PluginHostOptions = {}): DynamicModule {
    const env: Env = options.env ?? process.env;
    const discovered = options.plugins ? { candidates: options.plugins, problems: [] } : discoverPlugins({ env });
    const loaded = loadPlugins({ candidates: discovered.candidates, problems: discovered.problems, env });
    return {
      module: PluginHostModule,
      global: true,
      controllers: [PluginsController],
      providers: [
        { provide: PLUGIN_LOAD_RESULT, useValue: loaded },
        { provide: MeterRegistry, useValue: loaded.meters },
        PluginRegistry,
      ],
      exports: [PluginRegistry, MeterRegistry],
    };
  }
}
