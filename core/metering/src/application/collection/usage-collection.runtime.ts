import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, Clock, TransactionRunner, Tx } from '@werkbank/kernel';
import { LoadedPlugin, PluginRegistry } from '@werkbank/plugin-host';
import { InstanceRef, PermanentError, RetryableError, UsageRecord } from '@werkbank/plugin-sdk';
import { ActiveInstance, ActiveInstances, EndedInstance, FinalUsageCollection, InstanceAtService } from '@werkbank/provisioning';
import { TenantDirectory, tenantSlug } from '@werkbank/tenancy';
import { createHash } from 'node:crypto';
import { DEDUP_WINDOW_MS, MAX_IDEMPOTENCY_KEY_LENGTH, USAGE_REJECTIONS, UsageEventInput } from '../../domain/usage-event';
import { CollectionWatermarkRepository } from '../../infrastructure/persistence/collection-watermark.repository';
import { METERING_CONFIG, MeteringConfig } from '../../metering.config';
import { MeterCatalog } from '../meter-catalog';
import { closingSample } from './closing-sample';
import { MAX_EVENTS_PER_BATCH, UsageIngestion } from '../usage-ingestion';

/** Windows one instance may catch up per round, so one long backlog does not hold up the others. */
const MAX_WINDOWS_PER_ROUND = 48;
/** A collector call taking longer is aborted; the window is tried again next round. */
const COLLECT_TIMEOUT_MS = 5 * 60_000;
/** A new instance (or one that existed before metering) is collected from at most this far back. */
const FIRST_WINDOW_MAX_AGE_MS = DEDUP_WINDOW_MS - 86_400_000;
/** The final collection waits this long when a scheduled round holds the instance's watermark. */
const BUSY_RETRY_MS = 1_000;
/** Gauges whose last level would otherwise be carried on after their instance ended. */
const GAUGE_AGGREGATIONS = new Set(['time_weighted', 'latest']);

export interface InstanceCollection {
  instanceId: string;
  pluginId: string;
  windows: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** why the instance stopped this round early (a collector error), if it did */
  error?: string;
}

/**
 * Pull collection: for every provisioned instance whose plugin has a usage collector, the worker
 * asks the collector for the window [watermark, now - lag) (at most METERING_COLLECT_MAX_WINDOW_MS
 * long), records what it returns through UsageIngestion (trusted, for the instance's tenant), and
 * only then moves the watermark to the window's end: no gap, no overlap. A crash after the ingest
 * collects the same window again; the idempotency keys make that a no-op. The watermark row is
 * locked while its window is collected, so several workers never collect one instance at once.
 *
 * When an instance ends (deprovisioning, see `collectFinal`), provisioning runs the final collection
 * up to the moment access ended, before the plugin's deprovision may remove anything, and closes
 * the instance's gauges with a sample of 0 there.
 */
@Injectable()
export class UsageCollectionRuntime implements OnApplicationBootstrap, OnApplicationShutdown, FinalUsageCollection {
  private readonly logger = new Logger('UsageCollection');
  private timer?: NodeJS.Timeout;
  private round?: Promise<unknown>;
  private stopped = false;
  private readonly abort = new AbortController();

  constructor(
    private readonly plugins: PluginRegistry,
    private readonly instances: ActiveInstances,
    private readonly tenants: TenantDirectory,
    private readonly watermarks: CollectionWatermarkRepository,
    private readonly ingestion: UsageIngestion,
    private readonly meters: MeterCatalog,
    private readonly tx: TransactionRunner,
    @Inject(METERING_CONFIG) private readonly config: MeteringConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round = this.collectOnce()
        .catch((error: unknown) => this.logger.warn({ msg: 'usage collection round failed; the next round retries', error: (error as Error).message }))
        .finally(() => this.schedule());
    }, this.config.collectIntervalMs);
  }

  /** One round over every instance with a collector; each instance's outcome. */
  async collectOnce(): Promise<InstanceCollection[]> {
    const collecting = this.plugins.list().filter((p) => p.status === 'ready' && p.plugin.usageCollector);
    if (collecting.length === 0) return [];
    const byId = new Map(collecting.map((p) => [p.id, p]));
    const results: InstanceCollection[] = [];
    for (const instance of await this.instances.list({ pluginIds: [...byId.keys()] })) {
      if (this.stopped) break;
      results.push(await this.collectInstance(instance, byId.get(instance.pluginId)!));
    }
    return results;
  }

  private async collectInstance(instance: ActiveInstance, plugin: LoadedPlugin): Promise<InstanceCollection> {
    const outcome: InstanceCollection = { instanceId: instance.instanceId, pluginId: plugin.id, windows: 0, accepted: 0, duplicates: 0, rejected: 0 };
    const now = this.clock.now();
    const start = new Date(Math.max(instance.createdAt.getTime(), now.getTime() - FIRST_WINDOW_MAX_AGE_MS));
    await this.tx.run((tx) => this.watermarks.ensure(tx, instance, start, now));
    const ref = await this.refOf(instance);
    try {
      for (let i = 0; i < MAX_WINDOWS_PER_ROUND && !this.stopped; i++) {
        const done = await this.tx.run(async (tx) => {
          const from = await this.watermarks.lock(tx, instance.instanceId);
          if (!from) return true; // another worker collects this instance right now
          const to = new Date(Math.min(from.getTime() + this.config.collectMaxWindowMs, now.getTime() - this.config.collectLagMs));
          if (to <= from) return true;
          await this.collectWindow(plugin, instance, ref, { from, to }, outcome);
          await this.commitWindow(tx, instance.instanceId, to, now);
          outcome.windows += 1;
          return false;
        });
        if (done) break;
      }
    } catch (error) {
      outcome.error = (error as Error).message;
      this.logger.warn({ msg: 'usage collection failed; the window is collected again next round', plugin: plugin.id, instanceId: instance.instanceId, error: outcome.error });
    }
    return outcome;
  }

  /**
   * The final collection of an ended instance: the windows from its watermark up to `endedAt`
   * (when access ended; no lag beyond it, but not before the service had METERING_COLLECT_LAG_MS
   * to count), then a closing sample of 0 at the end of its life for each series of the plugin's
   * gauges (`time_weighted`, `latest`) it reported, then the watermark is closed. Every step is
   * committed before the next and keyed stably, so a crash anywhere re-runs to the same result, and
   * a closed watermark makes a later call (the step's next attempt) a no-op. A RetryableError asks
   * provisioning to call again (collector errors, the lag, a scheduled round holding the watermark).
   */
  async collectFinal(instance: EndedInstance): Promise<void> {
    if (!instance.externalId) return; // provisioning never completed: nothing existed at the service
    const plugin = this.plugins.get(instance.pluginId);
    if (!plugin || plugin.status !== 'ready') throw new RetryableError(`final usage collection: plugin ${instance.pluginId} is not ready`);
    const collector = plugin.plugin.usageCollector;
    const gauges = [...(await this.meters.lookup(plugin.manifest.meters.map((m) => m.key))).values()].filter((m) => GAUGE_AGGREGATIONS.has(m.aggregation));
    if (!collector && gauges.length === 0) return;
    if (this.stopped) throw new RetryableError('final usage collection: the worker is shutting down');
    const now = this.clock.now();
    const endedAt = new Date(Math.min(instance.endedAt.getTime(), now.getTime()));
    const start = new Date(Math.min(endedAt.getTime(), Math.max(instance.createdAt.getTime(), now.getTime() - FIRST_WINDOW_MAX_AGE_MS)));
    await this.tx.run((tx) => this.watermarks.ensure(tx, instance, start, now));
    const ref = await this.refOf(instance);
    const outcome: InstanceCollection = { instanceId: instance.instanceId, pluginId: plugin.id, windows: 0, accepted: 0, duplicates: 0, rejected: 0 };
    let gaveUp = false;
    try {
      for (;;) {
        const closed = await this.tx.run(async (tx) => {
          const mark = await this.watermarks.lockForClosing(tx, instance.instanceId);
          if (!mark) throw new RetryableError('final usage collection: a scheduled collection of this instance is under way', { retryAfterMs: BUSY_RETRY_MS });
          if (mark.closedAt) return true;
          const from = mark.collectedUntil;
          if (collector && !gaveUp && from < endedAt) {
            const countedAt = endedAt.getTime() + this.config.collectLagMs;
            if (countedAt > now.getTime()) {
              throw new RetryableError(`final usage collection waits until ${new Date(countedAt).toISOString()} for ${plugin.id} to count the last usage`, { retryAfterMs: countedAt - now.getTime() });
            }
            const to = new Date(Math.min(from.getTime() + this.config.collectMaxWindowMs, endedAt.getTime()));
            try {
              await this.collectWindow(plugin, instance, ref, { from, to }, outcome);
            } catch (error) {
              if (!(error instanceof PermanentError)) throw error;
              // the service will never answer this: the instance is removed without the rest of its usage
              gaveUp = true;
              this.logger.warn({ msg: 'the final usage collection failed for good; usage from the watermark to the end of access is not collected', plugin: plugin.id, instanceId: instance.instanceId, from: from.toISOString(), to: endedAt.toISOString(), error: error.message });
              return false;
            }
            await this.commitWindow(tx, instance.instanceId, to, now);
            outcome.windows += 1;
            return false;
          }
          // after every collected sample, so a window a scheduled round collected past the end cannot restart a gauge
          const closeAt = new Date(Math.max(endedAt.getTime(), from.getTime()));
          await this.closeGauges(plugin, instance, gauges, closeAt);
          await this.watermarks.close(tx, instance.instanceId, closeAt, now);
          return true;
        });
        if (closed) break;
      }
    } catch (error) {
      throw finalCollectionError(error);
    }
    if (outcome.windows > 0) this.logger.log({ msg: 'final usage collection', plugin: plugin.id, instanceId: instance.instanceId, windows: outcome.windows, accepted: outcome.accepted, duplicates: outcome.duplicates, rejected: outcome.rejected });
  }

  /**
   * Ends each series of the plugin's gauges that has a sample during the instance's life with a
   * sample of 0 at `closeAt`. A series is the tenant and the meter's dimension values, as in the
   * usage query; the closing sample carries the same values, so it ends that series only. A tenant
   * has one live instance per plugin (`service.exists`), so the plugin's series of the tenant in
   * the instance's life are the instance's.
   */
  private async closeGauges(plugin: LoadedPlugin, instance: EndedInstance, gauges: ReadonlyArray<{ key: string; dimensions: readonly string[] }>, closeAt: Date): Promise<void> {
    if (gauges.length === 0) return;
    const since = new Date(Math.max(instance.createdAt.getTime(), closeAt.getTime() - DEDUP_WINDOW_MS));
    const series = await this.watermarks.gaugeSeries(this.tx.reader(), instance.tenantId, gauges, since, closeAt);
    if (series.length === 0) return;
    const dimensions = new Map(gauges.map((g) => [g.key, g.dimensions]));
    const events = series.map((s) => closingSample(instance, s, dimensions.get(s.meter) ?? [], closeAt));
    const result = await this.ingestion.ingest(events, { kind: 'trusted', source: `collector:${plugin.id}` });
    for (const r of result.rejected) {
      this.logger.warn({ msg: 'a closing gauge sample was rejected; the gauge keeps its last level', plugin: plugin.id, instanceId: instance.instanceId, meter: events[r.index].meter, code: r.code, error: r.message });
    }
  }

  private async refOf(instance: InstanceAtService): Promise<InstanceRef> {
    const tenant = await this.tenants.get(this.tx.reader(), instance.tenantId);
    return {
      instanceId: instance.instanceId, tenant: { id: instance.tenantId, name: tenant?.name ?? '', slug: tenantSlug(instance.tenantId) },
      mode: instance.mode, externalId: instance.externalId, metadata: instance.metadata,
    };
  }

  /** Runs the collector over the window and records its usage (committed in batches). */
  private async collectWindow(plugin: LoadedPlugin, instance: InstanceAtService, ref: InstanceRef, window: { from: Date; to: Date }, outcome: InstanceCollection): Promise<void> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(COLLECT_TIMEOUT_MS)]);
    const ctx = this.plugins.context(plugin.id, signal);
    const own = new Set(plugin.manifest.meters.map((m) => m.key));
    const source = `collector:${plugin.id}`;
    let batch: UsageEventInput[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const result = await this.ingestion.ingest(batch, { kind: 'trusted', source });
      outcome.accepted += result.accepted;
      outcome.duplicates += result.duplicates;
      outcome.rejected += result.rejected.length;
      batch = [];
    };
    for await (const record of plugin.plugin.usageCollector!.collect(ctx, ref, window) as AsyncIterable<UsageRecord>) {
      if (!own.has(record?.meter)) {
        outcome.rejected += 1;
        this.logger.warn({ msg: 'a collector reported a meter its plugin does not declare; ignored', plugin: plugin.id, code: USAGE_REJECTIONS.unknownMeter, meter: String(record?.meter).slice(0, 100) });
        continue;
      }
      batch.push({
        tenantId: instance.tenantId, meter: record.meter, quantity: record.quantity, timestamp: record.timestamp,
        idempotencyKey: instanceKey(instance.instanceId, record.idempotencyKey), ...(record.properties ? { properties: record.properties } : {}),
      });
      if (batch.length >= MAX_EVENTS_PER_BATCH) await flush();
    }
    await flush();
  }

  /** Moves the watermark; the window's usage is committed by now. */
  protected async commitWindow(tx: Tx, instanceId: string, to: Date, now: Date): Promise<void> {
    await this.watermarks.advance(tx, instanceId, to, now);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.round;
  }
}

/** What the deprovision step's history shows: which part failed, retryable unless the cause says when. */
function finalCollectionError(error: unknown): RetryableError {
  const message = (error as Error)?.message ?? String(error);
  if (error instanceof RetryableError && message.startsWith('final usage collection')) return error;
  const retryAfterMs = error instanceof RetryableError ? error.options.retryAfterMs : undefined;
  return new RetryableError(`final usage collection: ${message}`, { cause: error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
}

/** The collector's key, scoped to the instance (two instances never share keys); stable across re-runs. */
export function instanceKey(instanceId: string, key: unknown): string {
  const text = typeof key === 'string' ? key : String(key);
  const scoped = `${instanceId}:${text}`;
  return scoped.length <= MAX_IDEMPOTENCY_KEY_LENGTH ? scoped : `${instanceId}:sha256:${createHash('sha256').update(text).digest('hex')}`;
}
