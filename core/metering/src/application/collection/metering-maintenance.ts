import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { bullmqOptions, CLOCK, Clock, WERKBANK_CONFIG, WerkbankConfig } from '@werkbank/kernel';
import { Queue, Worker } from 'bullmq';
import { DataSource } from 'typeorm';
import { DEDUP_WINDOW_MS } from '../../domain/usage-event';
import { foldUsageRollup, pruneUsageDedup } from '../../infrastructure/persistence/usage-event.repository';
import { UsagePartitions } from '../../infrastructure/persistence/usage-partitions';
import { monthsAround } from '../../infrastructure/persistence/usage-partitions.sql';

export const METERING_MAINTENANCE_QUEUE = 'metering-maintenance';
/** Dedup rows are kept a day past the window, so a clock a little off never forgets a key too early. */
const PRUNE_MARGIN_MS = 86_400_000;
/** How often the rollup rows of recent days are folded (ingestion appends one per batch, tenant, meter and day). */
const ROLLUP_FOLD_EVERY_MS = 60_000;

/**
 * Hourly (a BullMQ job scheduler: one run per hour across all workers): forgets deduplication
 * rows of events older than the 45-day window, creates the usage_events partitions of the
 * coming months ahead of the ingestion path, and folds the usage rollup's rows of every day.
 * Every minute: folds the rollup rows of the last three UTC days (where ingestion appends).
 */
@Injectable()
export class MeteringMaintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MeteringMaintenance');
  private queue?: Queue;
  private worker?: Worker;

  constructor(
    private readonly dataSource: DataSource,
    private readonly partitions: UsagePartitions,
    @Inject(WERKBANK_CONFIG) private readonly config: WerkbankConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const bull = bullmqOptions(this.config);
    this.queue = new Queue(METERING_MAINTENANCE_QUEUE, bull);
    await this.queue.upsertJobScheduler('metering-maintenance', { every: 3_600_000 }, { name: 'metering-maintenance' });
    await this.queue.upsertJobScheduler('usage-rollup-fold', { every: ROLLUP_FOLD_EVERY_MS }, { name: 'usage-rollup-fold' });
    this.worker = new Worker(METERING_MAINTENANCE_QUEUE, (job) => (job.name === 'usage-rollup-fold' ? this.foldRecent() : this.run()), bull);
    this.worker.on('error', (error) => this.logger.warn({ msg: 'metering maintenance worker error', error: error.message }));
  }

  /** One maintenance pass; returns how many dedup rows were pruned. */
  async run(): Promise<number> {
    const now = this.clock.now();
    await this.partitions.ensure(monthsAround(now, 0, 2));
    const pruned = await pruneUsageDedup(this.dataSource, new Date(now.getTime() - DEDUP_WINDOW_MS - PRUNE_MARGIN_MS));
    if (pruned) this.logger.log({ msg: `pruned ${pruned} usage deduplication rows older than the window` });
    await foldUsageRollup(this.dataSource, null);
    return pruned;
  }

  /** Folds the usage rollup's rows of the last three UTC days. */
  async foldRecent(): Promise<{ folded: number; removed: number }> {
    const since = new Date(this.clock.now().getTime() - 2 * 86_400_000).toISOString().slice(0, 10);
    return foldUsageRollup(this.dataSource, since);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await this.queue?.close();
  }
}
