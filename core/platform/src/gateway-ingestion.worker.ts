// The metering gateway's usage ingestion thread (started by core/gateway's UsageIngestionThread,
// see createGateway): a Nest application context with its own database pool, the kernel and
// metering, running the very `UsageIngestion.ingest` the API's POST /v1/usage/events runs, for
// the batches the gateway's event loop posts. Nothing here holds the gateway's event loop.
import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { IngestionThreadReply, IngestionThreadRequest } from '@werkbank/gateway';
import { createRootLogger, KernelModule, PinoNestLogger, type WerkbankConfig } from '@werkbank/kernel';
import { MeteringModule, UsageIngestion } from '@werkbank/metering';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { dataSourceOptions } from './data-source';

export interface GatewayIngestionWorkerData {
  config: WerkbankConfig;
  /** connections of the thread's database pool */
  poolSize: number;
  /** nice value of the thread (0: as the gateway) */
  nice: number;
}

@Module({})
class GatewayIngestionModule {
  static forRoot(config: WerkbankConfig, poolSize: number): DynamicModule {
    const options = dataSourceOptions(config.databaseUrl);
    return {
      module: GatewayIngestionModule,
      imports: [
        TypeOrmModule.forRoot({ ...options, extra: { ...(options.extra as object), max: poolSize }, retryAttempts: 3 }),
        KernelModule.forRoot(config, { http: false }),
        MeteringModule.forRoot({}),
      ],
    };
  }
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('gateway-ingestion.worker runs as a worker thread of the gateway, not on its own');
  const data = workerData as GatewayIngestionWorkerData;
  // Buffers arrive as Uint8Arrays through the structured clone
  const config: WerkbankConfig = {
    ...data.config,
    encryptionKey: Buffer.from(data.config.encryptionKey),
    previousEncryptionKeys: data.config.previousEncryptionKeys.map((k) => Buffer.from(k)),
  };
  // Linux: a thread's own nice value (setpriority on the calling thread), below the request thread's
  if (data.nice) {
    try {
      setPriority(data.nice);
    } catch {
      // not permitted here: the thread runs at the process's priority
    }
  }
  const reply = (message: IngestionThreadReply) => port.postMessage(message);
  let app: INestApplicationContext;
  try {
    // the thread's start-up (Nest's module lines) is not news; its warnings and errors are
    const quiet = ['trace', 'debug', 'info'].includes(config.logLevel) ? 'warn' : config.logLevel;
    const logger = new PinoNestLogger(createRootLogger(quiet));
    app = await NestFactory.createApplicationContext(GatewayIngestionModule.forRoot(config, data.poolSize), { logger, abortOnError: false });
    await app.init();
  } catch (error) {
    reply({ type: 'failed', error: error instanceof Error ? error.message : String(error) });
    return;
  }
  const ingestion = app.get(UsageIngestion);
  const running = new Set<Promise<void>>();
  port.on('message', (message: IngestionThreadRequest) => {
    if (message.type === 'close') {
      void Promise.allSettled([...running]).then(() => app.close()).finally(() => process.exit(0));
      return;
    }
    const { id, events } = message;
    const done = ingestion.ingest(events, { kind: 'trusted', source: 'gateway' }).then(
      (result) => reply({ type: 'result', id, result }),
      (error: unknown) => reply({ type: 'error', id, error: error instanceof Error ? error.message : String(error) }),
    ).finally(() => running.delete(done));
    running.add(done);
  });
  reply({ type: 'ready' });
}

void main();
