import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, createRootLogger, loadConfig, PinoNestLogger, REDIS } from '@werkbank/kernel';
import { createServer } from 'node:http';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { WorkerModule } from '@werkbank/platform';

process.env.WERKBANK_PROCESS ??= 'worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { logger: new PinoNestLogger(createRootLogger(config.logLevel)) });
  app.enableShutdownHooks();
  await app.init();
  const healthPort = process.env.WERKBANK_WORKER_HEALTH_PORT;
  if (healthPort) {
    // A container health check for the worker: the same live/ready contract as the API's.
    const dataSource = app.get(DataSource);
    const redis = app.get<Redis>(REDIS);
    const server = createServer((req, res) => {
      const ready = req.url === '/health/ready';
      if (!ready && req.url !== '/health/live') {
        res.writeHead(404).end();
        return;
      }
      const checks = ready ? Promise.all([dataSource.query('SELECT 1'), redis.ping()]) : Promise.resolve();
      checks.then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'),
        () => res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unavailable"}'),
      );
    });
    // unref: the health server never keeps a stopping worker alive
    server.listen(Number(healthPort), process.env.HOST ?? '0.0.0.0').unref();
  }
  process.stdout.write(`${JSON.stringify({ level: 'info', service: 'worker', msg: 'worker started: outbox relay, domain events, maintenance' })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(error instanceof ConfigError ? `${error.message}\nSee the configuration table in README.md.\n` : `[werkbank] worker failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
