// Fault tests of the provisioning engine with real processes: the worker (apps/worker, built by
// `npm test` before Jest runs) is SIGKILLed mid-step, and Redis is SIGKILLed and restarted on an
// empty data directory while a job waits. The API runs in-process; the plugin is loaded by the
// worker from a package on NODE_PATH, the way an operator installs one.
import { createTestEnvironment, TestEnvironment } from '@werkbank/plugin-testkit';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ts from 'typescript';
import { FakeProjectService } from '../fixtures/stub-service/fake-project-service';
import { stubServicePlugin } from '../fixtures/stub-service/stub-service.plugin';
import { RunningRedis, startRedis } from '../support/services.mjs';

const ROOT = join(__dirname, '..', '..');
const WORKER = join(ROOT, 'apps', 'worker', 'dist', 'main.js');

/** Installs the stub-service plugin as a compiled package in a NODE_PATH folder. */
function installPluginPackage(dir: string): void {
  const pkg = join(dir, '@werkbank', 'plugin-stub-service');
  mkdirSync(pkg, { recursive: true });
  const source = readFileSync(join(ROOT, 'test', 'fixtures', 'stub-service', 'stub-service.plugin.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
  writeFileSync(join(pkg, 'index.js'), js);
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@werkbank/plugin-stub-service', version: '1.0.0', main: 'index.js' }));
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}


describe('provisioning survives crashes', () => {
  const upstream = new FakeProjectService();
  let work: string;
  let redis: RunningRedis;
  let t: TestEnvironment;
  let admin: string;
  const workers: ChildProcess[] = [];
  const workerOutput: string[] = [];

  function startWorker(): ChildProcess {
    const child = spawn(process.execPath, [WORKER], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        DATABASE_URL: t.config.databaseUrl,
        REDIS_URL: redis.url,
        REDIS_PREFIX: t.config.redisPrefix,
        JWT_SECRET: t.config.jwtSecret,
        WERKBANK_ENCRYPTION_KEY: t.config.encryptionKey.toString('base64'),
        WERKBANK_PLUGINS: '@werkbank/plugin-stub-service',
        WERKBANK_PLUGIN_STUB_SERVICE_OPTIONS: JSON.stringify({ baseUrl: upstream.url, adminToken: upstream.adminToken }),
        NODE_PATH: [join(work, 'node_modules'), join(ROOT, 'node_modules')].join(':'),
        PROVISIONING_RETRY_DELAY_MS: '50',
        PROVISIONING_RECONCILE_INTERVAL_MS: '500',
        PROVISIONING_JOB_LOCK_MS: '2000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => workerOutput.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => workerOutput.push(d.toString()));
    workers.push(child);
    return child;
  }

  async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'werkbank-faults-'));
    installPluginPackage(join(work, 'node_modules'));
    await upstream.start();
    redis = await startRedis({ dir: join(work, 'redis'), log: () => undefined });
    t = await createTestEnvironment({
      plugins: [stubServicePlugin],
      worker: false,
      env: { REDIS_URL: redis.url, WERKBANK_PLUGIN_STUB_SERVICE_OPTIONS: JSON.stringify({ baseUrl: upstream.url, adminToken: upstream.adminToken }) },
    });
    admin = await t.adminToken();
  });

  afterAll(async () => {
    for (const w of workers) await kill(w, 'SIGKILL');
    await t?.close();
    await redis?.stop();
    await upstream.close();
    rmSync(work, { recursive: true, force: true });
  });

  afterEach(async () => {
    for (const w of workers) await kill(w, 'SIGTERM');
  });

  async function requestService(): Promise<string> {
    const tenant = await t.createTenant();
    const res = await t.http.post(`/v1/tenants/${tenant.id}/services`).set(t.auth(admin)).send({ plugin: 'stub-service' });
    if (res.status !== 202) throw new Error(`request failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  }

  it('a worker SIGKILLed in the middle of provisioning is replaced, the step runs again with the same request key, and the service holds one resource', async () => {
    upstream.delayCreates(1500);
    const creates = () => upstream.requests('POST', '/projects').filter((r) => r.path === '/projects');
    const before = creates().length;
    const first = startWorker();
    const id = await requestService();
    await until('the worker to call the service', () => creates().length > before);
    await kill(first, 'SIGKILL');
    upstream.delayCreates(0);
    startWorker();
    const active = await t.waitForServiceState(id, 'active', 30_000);
    const calls = creates().slice(before);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(1);
    const mine = [...upstream.projects.values()].filter((p) => p.idempotencyKey === calls[0].idempotencyKey);
    expect(mine).toHaveLength(1);
    expect(String((active.endpoints as Record<string, string>).api)).toContain(mine[0].id);
  });

  it('Redis SIGKILLed and restarted empty while a job waits: the reconciliation loop queues it again and the instance becomes active', async () => {
    const id = await requestService();
    expect((await t.http.get(`/v1/services/${id}`).set(t.auth(admin))).body.state).toBe('provisioning');
    const port = redis.port;
    await kill(redis.child, 'SIGKILL');
    rmSync(redis.dir, { recursive: true, force: true });
    redis = await startRedis({ dir: redis.dir, port, log: () => undefined });
    startWorker();
    const active = await t.waitForServiceState(id, 'active', 30_000);
    expect((active.history as Array<{ error: string | null }>).some((h) => /job was lost/.test(h.error ?? ''))).toBe(true);
    const key = `${id}:provision:1`;
    expect([...upstream.projects.values()].filter((p) => p.idempotencyKey === key)).toHaveLength(1);
  });

  it('no credential reached the logs of the API or the workers', () => {
    const all = [...t.logs, ...workerOutput].join('\n');
    expect(upstream.projects.size).toBeGreaterThan(0);
    for (const secret of [upstream.adminToken, ...[...upstream.projects.values()].map((p) => p.apiKey)]) expect(all).not.toContain(secret);
  });
});
