import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { bullmqOptions, CLOCK, Clock, WERKBANK_CONFIG, WerkbankConfig } from '@werkbank/kernel';
import { Queue, Worker } from 'bullmq';
import { DataSource } from 'typeorm';
import { DEDUP_WINDOW_MS } from '../../domain/usage-event';
import { pruneUsageDedup } from '../../infrastructure/persistence/usage-event.repository';
import { UsagePartitions } from '../../infrastructure/persistence/usage-partitions';
import { monthsAround } from '../../infrastructure/persistence/usage-partitions.sql';

export const METERING_MAINTENANCE_QUEUE = 'metering-maintenance';
/** Dedup rows are kept a day past the window, so a clock a little off never forgets a key too early. */
const PRUNE_MARGIN_MS = 86_400_000;

/**
 * Hourly (a BullMQ job scheduler: one run per hour across all workers): forgets deduplication
 * rows of events older than the 45-day window, and creates the usage_events partitions of the
 * coming months ahead of the ingestion path.
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
    this.worker = new Worker(METERING_MAINTENANCE_QUEUE, () => this.run(), bull);
    this.worker.on('error', (error) => this.logger.warn({ msg: 'metering maintenance worker error', error: error.message }));
  }

  /** One maintenance pass; returns how many dedup rows were pruned. */
  async run(): Promise<number> {
    const now = this.clock.now();
    await this.partitions.ensure(monthsAround(now, 0, 2));
    const pruned = await pruneUsageDedup(this.dataSource, new Date(now.getTime() - DEDUP_WINDOW_MS - PRUNE_MARGIN_MS));
    if (pruned) this.logger.log({ msg: `pruned ${pruned} usage deduplication rows older than the window` });
    return pruned;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    await this.queue?.close();
  }
}
