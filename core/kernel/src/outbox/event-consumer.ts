import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import { DataSource } from 'typeorm';
import { CLOCK, Clock } from '../time/clock';
import { Tx } from '../persistence/transaction';
import { DOMAIN_EVENTS_QUEUE, PublishedEvent } from './domain-event';
import { consumeOnce, relayOutboxBatch } from './outbox';

/** A durable reaction to domain events; runs at most once per event (processed_events). */
export interface DomainEventConsumer {
  /** stable name, the key of its processed-events rows: 'tenancy.tenant-status-notifier' */
  readonly name: string;
  handles(type: string): boolean;
  /** runs inside the consumer's transaction; side effects outside the database go in `afterCommit` */
  handle(tx: Tx, event: PublishedEvent): Promise<(() => Promise<void>) | void>;
}

export const DOMAIN_EVENT_CONSUMERS = Symbol('DOMAIN_EVENT_CONSUMERS');

export function redisConnection(url: string): { host: string; port: number; username?: string; password?: string; db?: number; tls?: object; maxRetriesPerRequest: null } {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** Connection and key prefix for every BullMQ queue and worker of Werkbank. */
export function bullmqOptions(config: { redisUrl: string; redisPrefix: string }): { connection: ReturnType<typeof redisConnection>; prefix: string } {
  return { connection: redisConnection(config.redisUrl), prefix: `${config.redisPrefix}:bull` };
}

/**
 * Moves committed outbox rows to the BullMQ queue. The job id is the event id, so a row
 * relayed twice (crash between add and commit) is still one job.
 */
@Injectable()
export class OutboxRelay implements OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: Queue,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Relays until the outbox is empty; returns how many events went out. */
  async drain(batchSize = 200): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.dataSource.transaction((manager) =>
        relayOutboxBatch(manager as unknown as Tx, batchSize, this.clock.now(), async (events) => {
          await this.queue.addBulk(events.map((e) => ({ name: e.type, data: e, opts: { jobId: e.id, attempts: 10, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: 1000, removeOnFail: 5000 } })));
        }),
      );
      total += n;
      if (n < batchSize) return total;
    }
  }

  start(intervalMs = 500): void {
    const tick = async () => {
      if (this.stopped) return;
      if (!this.running) {
        this.running = true;
        try {
          await this.drain();
        } catch (error) {
          this.logger.error({ msg: 'outbox relay failed; will retry', err: (error as Error).message });
        } finally {
          this.running = false;
        }
      }
      if (!this.stopped) this.timer = setTimeout(tick, intervalMs);
    };
    void tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs the registered consumers for each job of the domain-events queue. */
export class DomainEventDispatcher {
  private readonly logger = new Logger('DomainEventDispatcher');

  constructor(
    private readonly dataSource: DataSource,
    private readonly consumers: DomainEventConsumer[],
    private readonly clock: Clock,
  ) {}

  async dispatch(event: PublishedEvent): Promise<void> {
    for (const consumer of this.consumers.filter((c) => c.handles(event.type))) {
      let after: (() => Promise<void>) | void = undefined;
      const ran = await this.dataSource.transaction((manager) =>
        consumeOnce(manager as unknown as Tx, consumer.name, event, this.clock.now(), async (tx) => {
          after = await consumer.handle(tx, event);
        }),
      );
      if (ran && after) await (after as () => Promise<void>)();
      if (!ran) this.logger.debug({ msg: 'event already processed', consumer: consumer.name, eventId: event.id });
    }
  }

  createWorker(options: { connection: ReturnType<typeof redisConnection>; prefix?: string }, concurrency = 4): Worker {
    return new Worker(DOMAIN_EVENTS_QUEUE, (job: Job<PublishedEvent>) => this.dispatch(job.data), { ...options, concurrency });
  }
}
