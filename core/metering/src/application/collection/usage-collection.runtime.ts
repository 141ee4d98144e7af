import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, Clock, TransactionRunner, Tx } from '@werkbank/kernel';
import { LoadedPlugin, PluginRegistry } from '@werkbank/plugin-host';
import type { InstanceRef, UsageRecord } from '@werkbank/plugin-sdk';
import { ActiveInstance, ActiveInstances } from '@werkbank/provisioning';
import { TenantDirectory, tenantSlug } from '@werkbank/tenancy';
import { createHash } from 'node:crypto';
import { DEDUP_WINDOW_MS, MAX_IDEMPOTENCY_KEY_LENGTH, USAGE_REJECTIONS, UsageEventInput } from '../../domain/usage-event';
import { CollectionWatermarkRepository } from '../../infrastructure/persistence/collection-watermark.repository';
import { METERING_CONFIG, MeteringConfig } from '../../metering.config';
import { MAX_EVENTS_PER_BATCH, UsageIngestion } from '../usage-ingestion';

/** Windows one instance may catch up per round, so one long backlog does not hold up the others. */
const MAX_WINDOWS_PER_ROUND = 48;
/** A collector call taking longer is aborted; the window is tried again next round. */
const COLLECT_TIMEOUT_MS = 5 * 60_000;
/** A new instance (or one that existed before metering) is collected from at most this far back. */
const FIRST_WINDOW_MAX_AGE_MS = DEDUP_WINDOW_MS - 86_400_000;

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
 */
@Injectable()
export class UsageCollectionRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
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
    const tenant = await this.tenants.get(this.tx.reader(), instance.tenantId);
    const ref: InstanceRef = {
      instanceId: instance.instanceId, tenant: { id: instance.tenantId, name: tenant?.name ?? '', slug: tenantSlug(instance.tenantId) },
      mode: instance.mode, externalId: instance.externalId, metadata: instance.metadata,
    };
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

  /** Runs the collector over the window and records its usage (committed in batches). */
  private async collectWindow(plugin: LoadedPlugin, instance: ActiveInstance, ref: InstanceRef, window: { from: Date; to: Date }, outcome: InstanceCollection): Promise<void> {
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

/** The collector's key, scoped to the instance (two instances never share keys); stable across re-runs. */
export function instanceKey(instanceId: string, key: unknown): string {
  const text = typeof key === 'string' ? key : String(key);
  const scoped = `${instanceId}:${text}`;
  return scoped.length <= MAX_IDEMPOTENCY_KEY_LENGTH ? scoped : `${instanceId}:sha256:${createHash('sha256').update(text).digest('hex')}`;
}
