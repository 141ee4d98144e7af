import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CLOCK, ProblemException, Problems } from '@werkbank/kernel';
import type { Clock } from '@werkbank/kernel';
import type { GatewayKeyIssuer, HealthStatus, IssuedGatewayKey, PluginContext } from '@werkbank/plugin-sdk';
import type { LoadedPlugin } from '../domain/loaded-plugin';
import { collectSecretValues, redactText } from '../domain/secrets';
import type { PluginLoadResult } from './plugin-loader';
import { createPluginLogger, type LogSink } from './plugin-logger';

export const PLUGIN_LOAD_RESULT = Symbol('PLUGIN_LOAD_RESULT');
export const PLUGIN_REGISTRY_SETTINGS = Symbol('PLUGIN_REGISTRY_SETTINGS');

/**
 * Where `ctx.gatewayKeys` goes: provided by the context that owns service instances
 * (provisioning), so the plugin host needs no dependency on it. A process without it (the
 * gateway) hands plugins an issuer that refuses.
 */
export const GATEWAY_KEY_ISSUER = Symbol('GATEWAY_KEY_ISSUER');

/** Gateway keys of every plugin's instances; `PluginRegistry.context` binds it to one plugin. */
export interface PluginGatewayKeys {
  issue(pluginId: string, ref: { instanceId: string; tenantId: string }): Promise<IssuedGatewayKey>;
  revoke(pluginId: string, instanceId: string): Promise<void>;
}

export interface PluginRegistrySettings {
  /** a health check that takes longer counts as unhealthy (default 3000) */
  healthTimeoutMs?: number;
  /** how long a health result is reused (default 5000, measured on the injected clock) */
  healthCacheMs?: number;
  /** log sink per context name (default: Nest's Logger) */
  createLogSink?: (context: string) => LogSink;
}

/** 404 for an id no loaded plugin has. */
export const pluginNotFound = (): ProblemException => Problems.notFound('plugin.not_found', 'Plugin');

const HEALTH_STATES = ['healthy', 'degraded', 'unhealthy'];

class HealthTimeout extends Error {}

/**
 * The plugins of this process, as loaded at start-up: the one place the core asks for a plugin,
 * its context (options, logger, clock) and its health.
 */
@Injectable()
export class PluginRegistry implements OnModuleInit {
  private readonly byId: Map<string, LoadedPlugin>;
  private readonly secrets = new Map<string, string[]>();
  private readonly healthCache = new Map<string, { at: number; result: Promise<HealthStatus> }>();
  private readonly settings: Required<PluginRegistrySettings>;
  private readonly hostLog: LogSink;
  private gatewayKeys?: PluginGatewayKeys;

  constructor(
    @Inject(PLUGIN_LOAD_RESULT) private readonly loaded: PluginLoadResult,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(PLUGIN_REGISTRY_SETTINGS) settings: PluginRegistrySettings = {},
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {
    this.byId = new Map(loaded.plugins.map((p) => [p.id, p]));
    this.settings = {
      healthTimeoutMs: settings.healthTimeoutMs ?? 3000,
      healthCacheMs: settings.healthCacheMs ?? 5000,
      createLogSink: settings.createLogSink ?? ((context) => new Logger(context)),
    };
    this.hostLog = this.settings.createLogSink('PluginHost');
  }

  onModuleInit(): void {
    for (const warning of this.loaded.warnings) this.hostLog.warn({ msg: warning });
    for (const p of this.loaded.plugins) {
      if (p.status === 'not_configured') {
        this.hostLog.warn({ msg: `plugin "${p.id}" is not configured: ${p.configurationProblem}`, plugin: p.id, package: p.packageName, version: p.version });
      } else {
        this.hostLog.log({ msg: `plugin "${p.id}" ${p.version} loaded`, plugin: p.id, package: p.packageName, version: p.version });
      }
    }
  }

  /** Every loaded plugin, in load order (ready and not_configured). */
  list(): LoadedPlugin[] {
    return [...this.byId.values()];
  }

  get(id: string): LoadedPlugin | undefined {
    return this.byId.get(id);
  }

  /** A plugin that may be used: 404 `plugin.not_found`, 409 `plugin.not_configured` otherwise. */
  require(id: string): LoadedPlugin {
    const plugin = this.found(id);
    if (plugin.status !== 'ready') {
      throw new ProblemException(409, 'plugin.not_configured', 'Plugin not configured',
        `The service "${plugin.manifest.displayName}" (plugin "${id}") is installed but the operator has not configured it yet.`);
    }
    return plugin;
  }

  /** What a ready plugin gets with every call: its options, a logger that hides secrets, the clock. */
  context<Options = Record<string, unknown>>(id: string, signal?: AbortSignal): PluginContext<Options> {
    const plugin = this.require(id);
    return {
      pluginId: plugin.id,
      options: plugin.options as Options,
      logger: createPluginLogger(plugin.id, this.settings.createLogSink(`plugin:${plugin.id}`), this.secretsOf(plugin)),
      now: () => this.clock.now(),
      signal: signal ?? new AbortController().signal,
      gatewayKeys: this.gatewayKeysOf(plugin.id),
    };
  }

  private gatewayKeysOf(pluginId: string): GatewayKeyIssuer {
    const issuer = (): PluginGatewayKeys => {
      this.gatewayKeys ??= this.findGatewayKeys();
      if (!this.gatewayKeys) throw new Error('gateway keys cannot be issued in this process (no GATEWAY_KEY_ISSUER is provided)');
      return this.gatewayKeys;
    };
    return {
      issue: async (ref) => issuer().issue(pluginId, ref),
      revoke: async (instanceId) => issuer().revoke(pluginId, instanceId),
    };
  }

  private findGatewayKeys(): PluginGatewayKeys | undefined {
    try {
      return this.moduleRef?.get<PluginGatewayKeys>(GATEWAY_KEY_ISSUER, { strict: false });
    } catch {
      return undefined;
    }
  }

  /**
   * The plugin's own health check (null when it has none or is not configured). A throw or a
   * check slower than the timeout reads as `unhealthy`; results are reused for a few seconds.
   */
  async health(id: string): Promise<HealthStatus | null> {
    const plugin = this.found(id);
    if (plugin.status !== 'ready' || !plugin.plugin.health) return null;
    const now = this.clock.now().getTime();
    const cached = this.healthCache.get(id);
    if (cached && now - cached.at < this.settings.healthCacheMs) return cached.result;
    const result = this.checkHealth(plugin);
    this.healthCache.set(id, { at: now, result });
    return result;
  }

  private found(id: string): LoadedPlugin {
    const plugin = this.byId.get(id);
    if (!plugin) throw pluginNotFound();
    return plugin;
  }

  private secretsOf(plugin: LoadedPlugin): string[] {
    let secrets = this.secrets.get(plugin.id);
    if (!secrets) {
      secrets = collectSecretValues(plugin.manifest.optionsSchema, plugin.options);
      this.secrets.set(plugin.id, secrets);
    }
    return secrets;
  }

  private async checkHealth(plugin: LoadedPlugin): Promise<HealthStatus> {
    const controller = new AbortController();
    const ctx = this.context(plugin.id, controller.signal);
    const secrets = this.secretsOf(plugin);
    const failed = (message: string): HealthStatus => ({ status: 'unhealthy', message: redactText(message, secrets), checkedAt: this.clock.now().toISOString() });
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new HealthTimeout());
        }, this.settings.healthTimeoutMs);
      });
      const status: unknown = await Promise.race([Promise.resolve().then(() => plugin.plugin.health!.check(ctx)), timeout]);
      return this.normalize(status, secrets) ?? failed('the health check returned no valid status');
    } catch (error) {
      if (error instanceof HealthTimeout) return failed(`the health check did not answer within ${this.settings.healthTimeoutMs / 1000} s`);
      ctx.logger.warn('health check failed', { error });
      return failed(`the health check failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Only the documented fields, as strings, with secrets cut out: this goes to API callers. */
  private normalize(value: unknown, secrets: readonly string[]): HealthStatus | undefined {
    if (value === null || typeof value !== 'object') return undefined;
    const { status, message, details, checkedAt } = value as Record<string, unknown>;
    if (typeof status !== 'string' || !HEALTH_STATES.includes(status)) return undefined;
    const result: HealthStatus = {
      status: status as HealthStatus['status'],
      checkedAt: typeof checkedAt === 'string' && !Number.isNaN(Date.parse(checkedAt)) ? checkedAt : this.clock.now().toISOString(),
    };
    if (typeof message === 'string') result.message = redactText(message, secrets);
    if (details !== null && typeof details === 'object') {
      result.details = Object.fromEntries(Object.entries(details).map(([k, v]) => [redactText(k, secrets), redactText(String(v), secrets)]));
    }
    return result;
  }
}
