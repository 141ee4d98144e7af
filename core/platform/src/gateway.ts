import { DynamicModule, INestApplicationContext, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { GatewayConfig, GatewayCoreModule, GatewayRuntime, UsageIngestionThread } from '@werkbank/gateway';
import { createRootLogger, KernelModule, LogDestination, PinoNestLogger, REDIS, WerkbankConfig } from '@werkbank/kernel';
import { PluginHostModule, type PluginCandidate } from '@werkbank/plugin-host';
import type { Redis } from 'ioredis';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';
import type { GatewayIngestionWorkerData } from './gateway-ingestion.worker';

/** Connections of the ingestion thread's pool: the emitter sends one batch at a time, the journal delivery another. */
const INGESTION_POOL_SIZE = 4;

/**
 * The compiled ingestion thread script. Next to this file in dist/; when this module runs from
 * its TypeScript source (the Jest suites), the build's copy in core/platform/dist is used.
 */
export function gatewayIngestionWorkerScript(): string {
  const script = __filename.endsWith('.ts') ? join(__dirname, '..', 'dist', 'gateway-ingestion.worker.js') : join(__dirname, 'gateway-ingestion.worker.js');
  if (!existsSync(script)) {
    throw new Error(`the gateway's usage ingestion thread ${script} is missing: build first (npx tsc -b tsconfig.build.json), or set GATEWAY_USAGE_INGEST_THREAD=false`);
  }
  return script;
}

function usageIngestionThread(config: WerkbankConfig, gateway: GatewayConfig): UsageIngestionThread {
  const logger = new Logger('Gateway');
  const workerData: GatewayIngestionWorkerData = { config, poolSize: INGESTION_POOL_SIZE, nice: gateway.usageIngestNice };
  const thread = new UsageIngestionThread({
    script: gatewayIngestionWorkerScript(),
    workerData,
    onFailure: (error) => logger.error({ msg: 'the usage ingestion thread stopped; its batches are journaled and it is started again for the next one', error: error.message }),
  });
  // started now, so the first batch does not wait for it; a failure is logged and retried with the next batch
  thread.start().catch(() => undefined);
  return thread;
}

export interface GatewayModuleOptions {
  /** providers replaced after wiring, e.g. the clock in tests */
  overrides?: Array<{ provide: unknown; useValue: unknown }>;
  /** these plugins instead of discovery (tests) */
  plugins?: PluginCandidate[];
  /** where plugin variables (WERKBANK_PLUGIN_*) are read; default process.env */
  pluginEnv?: Record<string, string | undefined>;
}

/** The gateway process: database, kernel (no HTTP controllers), plugin host, and the metering gateway. */
@Module({})
export class GatewayModule {
  static forRoot(config: WerkbankConfig, gateway: GatewayConfig, options: GatewayModuleOptions = {}): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        TypeOrmModule.forRoot({ ...dataSourceOptions(config.databaseUrl), retryAttempts: 3 }),
        KernelModule.forRoot(config, { http: false, overrides: options.overrides ?? [] }),
        PluginHostModule.forRoot({ plugins: options.plugins, env: options.pluginEnv }),
        GatewayCoreModule.forRoot(gateway, {
          readiness: {
            inject: [DataSource, REDIS],
            useFactory: (dataSource: DataSource, redis: Redis) => ({ postgres: () => dataSource.query('SELECT 1'), redis: () => redis.ping() }),
          },
          ...(gateway.usageIngestThread ? { usageSink: () => usageIngestionThread(config, gateway) } : {}),
        }),
      ],
    };
  }
}

export interface CreateGatewayOptions extends GatewayModuleOptions {
  logger?: boolean;
  /** log lines go here instead of stdout (tests capture them) */
  logDestination?: LogDestination;
}

/** A started gateway: call `listen()` to open its port, `close()` to stop it (last usage sent or journaled). */
export interface Gateway {
  app: INestApplicationContext;
  runtime: GatewayRuntime;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** Builds the metering gateway (used by apps/gateway and the e2e suites). */
export async function createGateway(config: WerkbankConfig, gateway: GatewayConfig, options: CreateGatewayOptions = {}): Promise<Gateway> {
  const logger = options.logger === false ? false : new PinoNestLogger(createRootLogger(config.logLevel, options.logDestination));
  const app = await NestFactory.createApplicationContext(GatewayModule.forRoot(config, gateway, options), { logger, bufferLogs: false, abortOnError: false });
  try {
    await app.init();
  } catch (error) {
    // what started before the failure (the database pool, the usage ingestion thread) stops again
    await app.close().catch(() => undefined);
    throw error;
  }
  const runtime = app.get(GatewayRuntime);
  return { app, runtime, listen: (port, host) => runtime.listen(port, host), close: () => app.close() };
}
