import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { AuditWriter } from './audit/audit';
import { SECRET_BOX, SecretBox } from './crypto/secret-box';
import { WERKBANK_CONFIG, WerkbankConfig } from './config/config';
import { createMailer, MAILER } from './mail/mailer';
import { HealthController } from './observability/health.controller';
import { MetricsController, MetricsService } from './observability/metrics';
import { OutboxWriter } from './outbox/outbox';
import { TransactionRunner } from './persistence/transaction';
import { createRedis, REDIS } from './redis/redis';
import { CLOCK, SystemClock } from './time/clock';
import type { Redis } from 'ioredis';

/**
 * Cross-cutting services every context uses: configuration, clock, Redis, mail,
 * transactions with outbox and audit. Expects TypeORM's DataSource to be provided by the app.
 */
@Global()
@Module({})
export class KernelModule {
  static forRoot(config: WerkbankConfig, options: { http?: boolean; overrides?: Array<{ provide: unknown; useValue: unknown }> } = {}): DynamicModule {
    const providers: Provider[] = [
      { provide: WERKBANK_CONFIG, useValue: config },
      { provide: CLOCK, useClass: SystemClock },
      {
        provide: REDIS,
        useFactory: () => createRedis(config.redisUrl),
      },
      { provide: MAILER, useFactory: () => createMailer(config) },
      { provide: SECRET_BOX, useFactory: () => new SecretBox(config.encryptionKey, config.previousEncryptionKeys) },
      TransactionRunner,
      OutboxWriter,
      AuditWriter,
      MetricsService,
    ];
    for (const override of options.overrides ?? []) {
      const index = providers.findIndex((p) => typeof p === 'object' && 'provide' in p && p.provide === override.provide);
      providers.splice(index >= 0 ? index : providers.length, index >= 0 ? 1 : 0, override as Provider);
    }
    return {
      module: KernelModule,
      controllers: options.http === false ? [] : [HealthController, MetricsController],
      providers: [...providers, RedisShutdown],
      exports: [WERKBANK_CONFIG, CLOCK, REDIS, MAILER, SECRET_BOX, TransactionRunner, OutboxWriter, AuditWriter, MetricsService],
    };
  }
}

import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';

@Injectable()
class RedisShutdown implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
