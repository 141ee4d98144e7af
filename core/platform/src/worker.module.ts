import { DynamicModule, Inject, Injectable, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Queue, Worker } from 'bullmq';
import { DataSource } from 'typeorm';
import {
  bullmqOptions, CLOCK, Clock, DOMAIN_EVENT_CONSUMERS, DOMAIN_EVENTS_QUEUE, DomainEventConsumer, DomainEventDispatcher, KernelModule, OutboxRelay,
  pruneIdempotencyKeys, WERKBANK_CONFIG, WerkbankConfig,
} from '@werkbank/kernel';
import { MeteringConfig, MeteringModule, QuotaThresholdWatcher } from '@werkbank/metering';
import { PluginHostModule } from '@werkbank/plugin-host';
import { ProvisioningConfig, ProvisioningModule, TenantServicesFollower } from '@werkbank/provisioning';
import { pruneExpiredTokens, TenancyConsumersModule, TenantStatusNotifier } from '@werkbank/tenancy';
import { dataSourceOptions } from './data-source';

export const MAINTENANCE_QUEUE = 'maintenance';
const DOMAIN_EVENTS_QUEUE_TOKEN = Symbol('DOMAIN_EVENTS_QUEUE');

/** Starts the relay, the domain-event worker and the maintenance schedule; stops them on shutdown. */
@Injectable()
class WorkerRuntime implements OnApplicationBootstrap, OnApplicationShutdown {
  private workers: Worker[] = [];
  private queues: Queue[] = [];

  constructor(
    private readonly dataSource: DataSource,
    private readonly relay: OutboxRelay,
    @Inject(DOMAIN_EVENTS_QUEUE_TOKEN) private readonly eventsQueue: Queue,
    @Inject(DOMAIN_EVENT_CONSUMERS) private readonly consumers: DomainEventConsumer[],
    @Inject(WERKBANK_CONFIG) private readonly config: WerkbankConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const bull = bullmqOptions(this.config);
    const dispatcher = new DomainEventDispatcher(this.dataSource, this.consumers, this.clock);
    this.workers.push(dispatcher.createWorker(bull));
    const maintenance = new Queue(MAINTENANCE_QUEUE, bull);
    this.queues.push(maintenance);
    await maintenance.upsertJobScheduler('prune', { every: 3600_000 }, { name: 'prune' });
    this.workers.push(new Worker(MAINTENANCE_QUEUE, async () => {
      const now = this.clock.now();
      await pruneIdempotencyKeys(this.dataSource, now);
      await pruneExpiredTokens(this.dataSource, now);
    }, bull));
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.onApplicationShutdown();
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all([...this.queues, this.eventsQueue].map((q) => q.close()));
  }
}

/**
 * The worker's parts without the process roots (database, kernel, plugin host): the outbox
 * relay, the domain-event consumers, maintenance, the provisioning engine and metering's
 * collection, quota checks and maintenance. The worker
 * process imports it through WorkerModule; tests and the plugin testkit add it to the API app.
 */
@Module({})
export class WorkerCoreModule {
  static forRoot(options: { provisioning?: ProvisioningConfig; metering?: MeteringConfig } = {}): DynamicModule {
    const provisioning = ProvisioningModule.forRoot({ worker: true, config: options.provisioning });
    const metering = MeteringModule.forRoot({ worker: true, config: options.metering });
    return {
      module: WorkerCoreModule,
      imports: [TenancyConsumersModule, provisioning, metering],
      providers: [
        { provide: DOMAIN_EVENTS_QUEUE_TOKEN, inject: [WERKBANK_CONFIG], useFactory: (config: WerkbankConfig) => new Queue(DOMAIN_EVENTS_QUEUE, bullmqOptions(config)) },
        {
          provide: OutboxRelay,
          inject: [DataSource, DOMAIN_EVENTS_QUEUE_TOKEN, CLOCK],
          useFactory: (ds: DataSource, queue: Queue, clock: Clock) => new OutboxRelay(ds, queue, clock),
        },
        {
          provide: DOMAIN_EVENT_CONSUMERS,
          inject: [TenantStatusNotifier, TenantServicesFollower, QuotaThresholdWatcher],
          useFactory: (...consumers: DomainEventConsumer[]) => consumers,
        },
        WorkerRuntime,
      ],
      exports: [OutboxRelay],
    };
  }
}

/** The worker process. */
@Module({})
export class WorkerModule {
  static forRoot(config: WerkbankConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl), retryAttempts: 3 }),
        KernelModule.forRoot(config, { http: false }),
        PluginHostModule.forRoot({}),
        WorkerCoreModule.forRoot(),
      ],
    };
  }
}
