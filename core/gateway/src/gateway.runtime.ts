import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { CLOCK, Clock, ConfigError, MetricsService, probe, REDIS, uuidv7, WERKBANK_CONFIG, WerkbankConfig } from '@werkbank/kernel';
import { EntitlementsService, UsageIngestion, type UsageEventInput } from '@werkbank/metering';
import { PluginRegistry } from '@werkbank/plugin-host';
import type { Entitlements } from '@werkbank/plugin-sdk';
import { GatewayKeyBindings } from '@werkbank/provisioning';
import { ApiKeyVerifier, hasValidApiKeyChecksum, KeyCache } from '@werkbank/tenancy';
import type { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import { QuotaGuard } from './application/quota-guard';
import { MemoryRateLimiter, RateLimiter, RedisRateLimiter } from './application/rate-limiter';
import { UsageEmitter } from './application/usage-emitter';
import { RouteTable } from './domain/route-table';
import { GATEWAY_CONFIG, GatewayConfig } from './gateway.config';
import { GatewayMetrics } from './infrastructure/gateway-metrics';
import { GatewayCaller, GatewayPlugin, GatewayServer } from './infrastructure/gateway.server';
import { UpstreamBalancer } from './infrastructure/upstream-balancer';
import type { UsageSink } from './infrastructure/usage-ingestion-thread';
import { UsageJournal } from './infrastructure/usage-journal';

/** Checks /health/ready reports (e.g. `postgres`, `redis`); informational, see `ready`. */
export const GATEWAY_READINESS_PROBES = Symbol('GATEWAY_READINESS_PROBES');
export type GatewayReadinessProbes = Record<string, () => Promise<unknown>>;

/**
 * Where the emitter's batches go (a `UsageSink`, e.g. core/platform's ingestion thread); without
 * one, metering's `UsageIngestion` runs in the gateway's own event loop.
 */
export const GATEWAY_USAGE_SINK = Symbol('GATEWAY_USAGE_SINK');

/** Paths the gateway answers itself: a plugin with one of these ids could not be reached. */
const RESERVED_IDS = new Set(['health', 'metrics']);

/** Header names as Node sends them; a value that is not a string is a plugin bug (thrown at start). */
function lowerCaseHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value !== 'string') throw new Error(`upstreamHeaders: header "${name}" is not a string`);
    out[name.toLowerCase()] = value;
  }
  return out;
}

/** Logs at most one line per `everyMs` for a repeating failure. */
function throttled(log: (fields: Record<string, unknown>) => void, everyMs: number): (fields: Record<string, unknown>) => void {
  let last = 0;
  let suppressed = 0;
  return (fields) => {
    const now = Date.now();
    if (now - last < everyMs) {
      suppressed += 1;
      return;
    }
    log(suppressed ? { ...fields, suppressed } : fields);
    last = now;
    suppressed = 0;
  };
}

/**
 * The metering gateway in a Nest application context: builds the request path from the plugin
 * registry, the key verifier, metering's entitlements and ingestion, opens the usage journal and
 * starts the emitter (delivering what an earlier run journaled first). `listen()` opens the port;
 * shutdown stops accepting, lets running requests finish, then sends or journals the last usage.
 */
@Injectable()
export class GatewayRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Gateway');
  private server?: GatewayServer;
  private emitter?: UsageEmitter;
  private journal?: UsageJournal;
  private plugins = new Map<string, GatewayPlugin>();
  private closing = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(WERKBANK_CONFIG) private readonly werkbank: WerkbankConfig,
    private readonly registry: PluginRegistry,
    private readonly verifier: ApiKeyVerifier,
    private readonly bindings: GatewayKeyBindings,
    private readonly entitlements: EntitlementsService,
    private readonly ingestion: UsageIngestion,
    private readonly metricsService: MetricsService,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(GATEWAY_READINESS_PROBES) private readonly probes: GatewayReadinessProbes = {},
    @Optional() @Inject(GATEWAY_USAGE_SINK) private readonly sink?: UsageSink,
  ) {}

  /** The Fastify instance (tests inject requests or read its address). */
  get fastify(): GatewayServer['fastify'] {
    if (!this.server) throw new Error('the gateway is not initialized yet');
    return this.server.fastify;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { plugins, unconfigured } = this.collectPlugins();
    this.plugins = plugins;
    const warn = (fields: Record<string, unknown>) => this.logger.warn(fields);
    const error = (fields: Record<string, unknown>) => this.logger.error(fields);

    this.journal = new UsageJournal(this.config.journalDir);
    await this.journal.open();
    const entitlementErrors = throttled(warn, 10_000);
    const quotas = new QuotaGuard((tenantId) => this.entitlements.forTenant(tenantId), this.config.entitlementsRefreshMs,
      (e) => entitlementErrors({ msg: 'entitlements could not be read; quotas use the last known state (or none)', error: String(e) }));
    const keyErrors = throttled(warn, 10_000);
    // a key and the instance it was issued for are checked (and cached) together: a suspension shows as fast as a revocation
    const keys = new KeyCache<GatewayCaller>((hash) => this.caller(hash), { ttlMs: this.config.keyCacheMs, staleIfErrorMs: this.config.keyStaleIfErrorMs },
      (e) => keyErrors({ msg: 'API keys cannot be verified; known keys keep working for GATEWAY_KEY_STALE_IF_ERROR_MS', error: String(e) }));
    const rateLimiter = this.rateLimiter(throttled(warn, 10_000));

    const sink = this.sink;
    const ingest = sink ? (events: UsageEventInput[]) => sink.ingest(events) : (events: UsageEventInput[]) => this.ingestion.ingest(events, { kind: 'trusted', source: 'gateway' });
    const emitter = new UsageEmitter(ingest, this.journal, {
      flushMs: this.config.usageFlushMs, batchSize: this.config.usageBatchSize, ingestTimeoutMs: this.config.usageIngestTimeoutMs,
      bufferMax: this.config.usageBufferMax, retryMs: this.config.journalRetryMs,
    }, {
      resolved: (events, result) => {
        for (const e of events) quotas.resolved(e.tenantId, e.meter, e.quantity);
        metrics.usageEvents.inc({ outcome: 'accepted' }, result.accepted);
        metrics.usageEvents.inc({ outcome: 'duplicate' }, result.duplicates);
        if (result.rejected.length) {
          metrics.usageEvents.inc({ outcome: 'rejected' }, result.rejected.length);
          const codes = [...new Set(result.rejected.map((r) => r.code))];
          error({ msg: 'metering rejected usage events', count: result.rejected.length, codes, first: { ...result.rejected[0], meter: events[result.rejected[0].index]?.meter } });
        }
      },
      journaled: (events) => metrics.usageEvents.inc({ outcome: 'journaled' }, events.length),
      ingestFailed: (e, from) => {
        metrics.ingestFailures.inc({ from });
        warn({ msg: from === 'direct' ? 'metering did not take usage; journaling it on disk until it does' : 'journaled usage could not be delivered yet; retrying', error: String(e) });
      },
      damaged: (segment, lines) => error({ msg: 'unreadable lines in the usage journal (torn by a crash while written); their usage is lost', segment, lines }),
      journalFailed: (e) => error({ msg: 'the usage journal cannot be written; usage waits in memory', dir: this.config.journalDir, error: String(e) }),
    });
    this.emitter = emitter;
    const metrics = new GatewayMetrics(this.metricsService.registry, {
      upstreams: () => [...this.plugins.values()].flatMap((p) => Object.entries(p.balancer.state()).map(([upstream, s]) => ({ plugin: p.id, upstream, up: s === 'up' }))),
      buffered: () => emitter.backlog().buffered,
      journalPending: () => emitter.backlog().journalPending,
    });

    this.server = new GatewayServer({
      plugins,
      unconfigured,
      lookupKey: (key) => (hasValidApiKeyChecksum(key) ? keys.lookup(ApiKeyVerifier.hash(key)) : null),
      takeToken: (apiKeyId, rate) => rateLimiter.take(apiKeyId, rate),
      checkQuota: (tenantId, pluginId) => quotas.check(tenantId, `${pluginId}.`),
      canMeter: () => !emitter.saturated(),
      emitUsage: (events) => {
        for (const e of events) quotas.emitted(e.tenantId, e.meter, e.quantity);
        emitter.emit(events);
      },
      metrics,
      metricsText: () => this.metricsService.registry.metrics(),
      metricsToken: this.werkbank.metricsToken,
      ready: () => this.ready(),
      log: { warn: throttled(warn, 5_000), error },
      bodyLimitBytes: this.config.bodyLimitBytes,
      trustProxy: process.env.TRUST_PROXY === 'true',
      newRequestId: () => uuidv7(),
      now: () => this.clock.now().getTime(),
    });
    emitter.start();
    await this.server.fastify.ready();
    for (const p of plugins.values()) {
      this.logger.log({ msg: `gateway serves /${p.id}/ (${p.routes.size} routes, ${p.balancer.nodes.length} upstream nodes)`, plugin: p.id });
    }
  }

  /** Opens the port (default GATEWAY_PORT on HOST); returns the URL. */
  async listen(port = this.config.port, host = process.env.HOST ?? '0.0.0.0'): Promise<string> {
    await this.fastify.listen({ port, host });
    const address = this.fastify.server.address() as AddressInfo;
    return `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.server?.close();
    await this.emitter?.close();
    await this.sink?.close();
    await this.journal?.close();
    await Promise.all([...this.plugins.values()].map((p) => p.balancer.close()));
  }

  /** Ready while running: a gateway that cannot reach its database keeps serving (cached keys, journaled usage). */
  private async ready(): Promise<{ ok: boolean; body: Record<string, unknown> }> {
    const checks: Record<string, string> = {};
    await Promise.all(Object.entries(this.probes).map(async ([name, check]) => {
      checks[name] = await probe(check, 1000);
    }));
    checks.usageJournal = this.emitter?.backlog().journalPending ? 'delivering' : 'empty';
    const degraded = Object.values(checks).some((s) => s === 'down');
    return { ok: !this.closing, body: { status: this.closing ? 'stopping' : degraded ? 'degraded' : 'ok', checks } };
  }

  private async caller(keyHash: string): Promise<GatewayCaller | null> {
    const key = await this.verifier.verifyHash(keyHash);
    return key ? { ...key, instance: await this.bindings.instanceOfKey(key.apiKeyId) } : null;
  }

  /** With GATEWAY_RATE_LIMIT_RPS=0 there is no default limit, but a plugin's per-key `rateLimit` still applies. */
  private rateLimiter(warn: (fields: Record<string, unknown>) => void): RateLimiter {
    const { rateLimitRps, rateLimitBurst, rateLimitStore } = this.config;
    if (rateLimitStore === 'redis') {
      return new RedisRateLimiter(this.redis, this.werkbank.redisPrefix, rateLimitRps, rateLimitBurst,
        (e) => warn({ msg: 'Redis did not answer the rate limiter; requests pass', error: String(e) }));
    }
    return new MemoryRateLimiter(rateLimitRps, rateLimitBurst);
  }

  /** The ready plugins with gateway routes, and the ids of those that are not configured. */
  private collectPlugins(): { plugins: Map<string, GatewayPlugin>; unconfigured: Set<string> } {
    const plugins = new Map<string, GatewayPlugin>();
    const unconfigured = new Set<string>();
    const problems: string[] = [];
    for (const loaded of this.registry.list()) {
      const gateway = loaded.plugin.gateway;
      if (!gateway) continue;
      if (RESERVED_IDS.has(loaded.id)) {
        problems.push(`plugin "${loaded.id}" (${loaded.packageName}) has gateway routes, but /${loaded.id} is the gateway's own path; it cannot be served`);
        continue;
      }
      if (loaded.status !== 'ready') {
        unconfigured.add(loaded.id);
        continue;
      }
      let urls: string[];
      try {
        urls = gateway.upstreams(loaded.options);
      } catch (e) {
        problems.push(`plugin "${loaded.id}" (${loaded.packageName}): upstreams() failed: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      const bad = urls.filter((u) => !/^https?:\/\/[^/]/i.test(u) || !URL.canParse(u));
      if (bad.length) {
        problems.push(`plugin "${loaded.id}" (${loaded.packageName}): upstream ${JSON.stringify(bad[0])} is not an http(s) URL; correct ${`WERKBANK_PLUGIN_${loaded.id.toUpperCase().replace(/-/g, '_')}_OPTIONS`}`);
        continue;
      }
      if (!urls.length) this.logger.warn({ msg: `plugin "${loaded.id}" names no upstream: its gateway routes answer 503`, plugin: loaded.id });
      const variable = `WERKBANK_PLUGIN_${loaded.id.toUpperCase().replace(/-/g, '_')}_OPTIONS`;
      let routes: RouteTable;
      let upstreamHeaders: Record<string, string> | undefined;
      try {
        routes = new RouteTable(typeof gateway.routes === 'function' ? gateway.routes(loaded.options) : gateway.routes);
        upstreamHeaders = gateway.upstreamHeaders ? lowerCaseHeaders(gateway.upstreamHeaders(loaded.options)) : undefined;
      } catch (e) {
        // the message may quote an option; it names no value of ours
        problems.push(`plugin "${loaded.id}" (${loaded.packageName}): its gateway routes or upstream headers cannot be built from ${variable}: ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      const defaultEntitlements: Entitlements = {};
      for (const k of loaded.manifest.entitlementKeys ?? []) if (k.default !== undefined) defaultEntitlements[k.key] = k.default;
      const balancer = new UpstreamBalancer(urls, { connections: this.config.upstreamConnections, downMs: this.config.upstreamDownMs, timeoutMs: this.config.upstreamTimeoutMs });
      plugins.set(loaded.id, {
        id: loaded.id, routes, balancer, upstreamHeaders, defaultEntitlements,
        ...(gateway.rateLimit ? { rateLimit: (tenant) => gateway.rateLimit!(tenant) } : {}),
      });
    }
    if (problems.length) throw new ConfigError(problems);
    return { plugins, unconfigured };
  }
}
