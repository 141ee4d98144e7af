// The processes a benchmark (or test/faults/ingest-postgres-kill.mjs) runs against, each started
// here and stopped again: an embedded PostgreSQL (data in a temp dir), redis-server, the
// migrations, the API (and the metering gateway) as child processes in production mode, and the
// load client in a process of its own. Everything listens on 127.0.0.1 only.
import { execFile, fork, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SERVER_NODE_FLAGS } from '../../../apps/cli/server-flags.mjs';
import { request } from 'undici';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const services = await import(new URL('../../support/services.mjs', import.meta.url).href);
export const { findFreePort, startPostgres, startRedis, ensureRedisServer, terminateChild } = services;

export const ADMIN_EMAIL = 'bench-admin@werkbank.local';
export const ADMIN_PASSWORD = 'bench-admin-password-1234';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const say = (message) => console.log(`[bench] ${message}`);

/**
 * PostgreSQL settings of every benchmark (command-line `-c`, reported with the results). Durable
 * commits as in production: fsync and synchronous_commit stay on. Memory and checkpoint spacing
 * are set like a tuned production server of this size (the defaults, 128 MB shared_buffers and
 * 1 GB max_wal_size, are for a laptop).
 */
export const BENCH_PG_SETTINGS = {
  fsync: 'on',
  synchronous_commit: 'on',
  full_page_writes: 'on',
  shared_buffers: '4GB',
  effective_cache_size: '12GB',
  maintenance_work_mem: '512MB',
  max_wal_size: '8GB',
  checkpoint_timeout: '15min',
};

/** `npx tsc -b tsconfig.build.json` (incremental: ~2 s when nothing changed). WERKBANK_SKIP_BUILD=1 skips it. */
export async function build() {
  if (process.env.WERKBANK_SKIP_BUILD === '1') {
    say('build skipped (WERKBANK_SKIP_BUILD=1)');
  } else {
    say('building: npx tsc -b tsconfig.build.json ...');
    const code = await new Promise((resolve) => {
      const child = spawn('npx', ['--no', '--', 'tsc', '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
      child.once('exit', (c) => resolve(c ?? 1));
      child.once('error', () => resolve(1));
    });
    if (code !== 0) throw new Error(`the build failed (tsc exit code ${code})`);
  }
  for (const app of ['api', 'gateway']) {
    const entry = path.join(ROOT, 'apps', app, 'dist', 'main.js');
    if (!fs.existsSync(entry)) throw new Error(`${entry} is missing after the build`);
  }
}

/** What the results are worth knowing about: cores, memory, Node, PostgreSQL and its settings. */
export async function machineInfo(databaseUrl, settingNames = Object.keys(BENCH_PG_SETTINGS)) {
  const cpus = os.cpus();
  const info = {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()}`,
  };
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      info.postgres = (await client.query('SHOW server_version')).rows[0].server_version;
      info.postgresSettings = {};
      for (const name of [...new Set([...settingNames, 'max_connections', 'work_mem', 'wal_level', 'jit'])]) {
        info.postgresSettings[name] = (await client.query(`SELECT current_setting($1) AS v`, [name])).rows[0].v;
      }
    } finally {
      await client.end();
    }
  }
  return info;
}

/** Runs a child to completion; rejects with its output on a non-zero exit. */
function runToEnd(command, args, options) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { ...options, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(command)} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * A spawned Node process whose output goes to a log file; `stop()` sends SIGTERM (SIGKILL after
 * 10 s). With BENCH_PROFILE_DIR set, it writes a V8 CPU profile (.cpuprofile) there on exit.
 */
function startNode(name, entry, args, env, logFile, extraFlags = []) {
  const fd = fs.openSync(logFile, 'a');
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...profile, ...extraFlags, entry, ...args], { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  let exited = false;
  child.once('exit', () => (exited = true));
  process.once('exit', () => {
    if (!exited) child.kill('SIGKILL');
  });
  return {
    child,
    logFile,
    get exited() {
      return exited;
    },
    stop: () => terminateChild(child, { signal: 'SIGTERM', graceMs: 10_000, name, log: say }),
  };
}

async function tail(file, lines = 30) {
  try {
    return (await fsp.readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

/** Polls `url` until it answers 200 (or the process died / the time is up). */
async function waitReady(url, proc, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exited) throw new Error(`${what} exited during start-up. Last lines of ${proc.logFile}:\n${await tail(proc.logFile)}`);
    try {
      const res = await request(url, { headersTimeout: 2000, bodyTimeout: 2000 });
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not become ready at ${url} within ${timeoutMs / 1000} s. Last lines of ${proc.logFile}:\n${await tail(proc.logFile)}`);
    await sleep(100);
  }
}

/** Stacks running in this process, so a signal can stop them (see stopAllStacks). */
const runningStacks = new Set();

/** Stops every running stack (the runner calls this on SIGINT/SIGTERM). */
export async function stopAllStacks() {
  await Promise.all([...runningStacks].map((s) => s.stop()));
}

/**
 * Starts PostgreSQL, Redis, migrates, starts the API. `apiEnv` adds variables (plugins etc.).
 * Returns the running stack; `stop()` stops everything in reverse order and deletes the temp dir.
 */
export async function startStack({ name, pgSettings = BENCH_PG_SETTINGS, apiEnv = {}, keepDir = false } = {}) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `werkbank-${name}-`));
  await fsp.chmod(dir, 0o711); // run as root, PostgreSQL runs as the postgres user and must enter it
  const stack = { dir, stopped: false, procs: [] };
  const cleanups = [];
  runningStacks.add(stack);
  stack.stop = async () => {
    if (stack.stopped) return;
    stack.stopped = true;
    runningStacks.delete(stack);
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        say(`cleanup failed: ${error.message}`);
      }
    }
    if (!keepDir) await fsp.rm(dir, { recursive: true, force: true });
  };
  try {
    say(`starting PostgreSQL (embedded, data in ${dir}/pg) ...`);
    const pgPort = await findFreePort();
    stack.pgOptions = { dataDir: path.join(dir, 'pg', 'data'), port: pgPort, persistent: true, settings: pgSettings, log: say, passwordFile: path.join(dir, 'pg', 'password') };
    stack.postgres = await startPostgres(stack.pgOptions);
    cleanups.push(() => stack.postgres?.stop());
    stack.databaseUrl = stack.postgres.url;

    say('starting redis-server ...');
    const redisBin = await ensureRedisServer({ log: say });
    stack.redis = await startRedis({ dir: path.join(dir, 'redis'), bin: redisBin, log: say });
    cleanups.push(() => stack.redis.stop());

    const apiPort = await findFreePort();
    stack.env = {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      DATABASE_URL: stack.databaseUrl,
      REDIS_URL: stack.redis.url,
      JWT_SECRET: crypto.randomBytes(48).toString('base64url'),
      WERKBANK_ENCRYPTION_KEY: crypto.randomBytes(32).toString('base64'),
      WERKBANK_ADMIN_EMAIL: ADMIN_EMAIL,
      WERKBANK_ADMIN_PASSWORD: ADMIN_PASSWORD,
      WERKBANK_PLUGINS: 'none',
      ACCESS_TOKEN_TTL: '12h', // a benchmark may outlast the default 15 minutes
      ...apiEnv,
    };
    say('migrating: node apps/api/dist/main.js migrate ...');
    await runToEnd(process.execPath, [path.join(ROOT, 'apps/api/dist/main.js'), 'migrate'], { cwd: ROOT, env: stack.env });

    say('starting the API (NODE_ENV=production, LOG_LEVEL=warn) ...');
    stack.apiUrl = `http://127.0.0.1:${apiPort}`;
    const api = startNode('API', path.join(ROOT, 'apps/api/dist/main.js'), ['serve'], { ...stack.env, PORT: String(apiPort) }, path.join(dir, 'api.log'));
    stack.api = api;
    cleanups.push(() => api.stop());
    await waitReady(`${stack.apiUrl}/health/ready`, api, 'the API');
    stack.admin = new AdminClient(stack.apiUrl);
    await stack.admin.login();

    /**
     * Starts the metering gateway process (after the API: the plugin's meters are registered by
     * then). For diagnosis: BENCH_GATEWAY_NODE_FLAGS adds Node flags (e.g. `--trace-gc`) and
     * BENCH_GATEWAY_LOG names a file its output goes to (kept; by default it is in the temp dir).
     */
    stack.startGateway = async (gatewayEnv = {}) => {
      const port = await findFreePort();
      const flags = (process.env.BENCH_GATEWAY_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
      const gw = startNode('gateway', path.join(ROOT, 'apps/gateway/dist/main.js'), [], {
        ...stack.env, GATEWAY_PORT: String(port), GATEWAY_JOURNAL_DIR: path.join(dir, 'gateway-journal'), ...gatewayEnv,
      }, process.env.BENCH_GATEWAY_LOG ? path.resolve(process.env.BENCH_GATEWAY_LOG) : path.join(dir, 'gateway.log'), flags);
      cleanups.push(() => gw.stop());
      stack.gatewayPid = gw.child.pid;
      const url = `http://127.0.0.1:${port}`;
      await waitReady(`${url}/health/live`, gw, 'the gateway');
      return { url, proc: gw };
    };
    /** Starts the worker process (apps/worker): provisioning steps run there, e.g. a plugin issuing a service's gateway key. */
    stack.startWorker = async () => {
      const worker = startNode('worker', path.join(ROOT, 'apps/worker/dist/main.js'), [], stack.env, path.join(dir, 'worker.log'));
      cleanups.push(() => worker.stop());
      stack.workerPid = worker.child.pid;
      return { proc: worker };
    };
    /** Adds a cleanup step (run in reverse order by stop()). */
    stack.onStop = (fn) => cleanups.push(fn);
    return stack;
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** The operator admin, talking to the API over HTTP (tenants, API keys, meters). */
export class AdminClient {
  constructor(url) {
    this.url = url;
  }

  async call(method, route, body, token = this.token) {
    const res = await request(`${this.url}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    const json = text ? JSON.parse(text) : undefined;
    if (res.statusCode >= 300) throw new Error(`${method} ${route} answered ${res.statusCode}: ${text.slice(0, 500)}`);
    return json;
  }

  async login() {
    this.token = (await this.call('POST', '/v1/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, null)).accessToken;
    const me = await this.call('GET', '/v1/me');
    const memberships = me.user?.memberships ?? [];
    this.operatorTenantId = (memberships.find((m) => m.role === 'operator_admin') ?? memberships[0])?.tenantId;
    if (!this.operatorTenantId) throw new Error(`cannot find the operator tenant in GET /v1/me: ${JSON.stringify(me).slice(0, 500)}`);
    return this.token;
  }

  /** `count` tenants under the operator, created over HTTP with `parallel` requests at once; returns their ids. */
  async createTenants(count, { parallel = 8, prefix = 'Bench' } = {}) {
    const ids = new Array(count);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const t = await this.call('POST', '/v1/tenants', {
          name: `${prefix} ${i + 1}`, legalName: `${prefix} ${i + 1} GmbH`, country: 'DE', currency: 'EUR', billingEmail: `billing${i + 1}@bench.test`,
        });
        ids[i] = t.id;
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    return ids;
  }

  /** An API key (`wbk_...`) of `tenantId` (default: the operator tenant). */
  async createApiKey(scopes, tenantId = this.operatorTenantId) {
    return (await this.call('POST', `/v1/tenants/${tenantId}/api-keys`, { name: `bench ${scopes.join(' ')}`, scopes })).key;
  }

  async registerMeters(meters) {
    for (const m of meters) await this.call('POST', '/v1/meters', { description: `${m.key} (benchmark)`, ...m });
  }
}

/**
 * Runs the load client (test/bench/lib/client.mjs) in a process of its own for one task and
 * resolves with its result. Progress lines it prints are passed through.
 */
export function runClient(task, { timeoutMs = 60 * 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(ROOT, 'test/bench/lib/client.mjs'), [], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=4096'] });
    let result;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the load client (${task.kind}) did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('message', (message) => {
      if (message?.type === 'result') result = message.result;
      if (message?.type === 'error') result = { error: message.error };
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (result?.error) reject(new Error(`load client: ${result.error}`));
      else if (code !== 0 || !result) reject(new Error(`the load client (${task.kind}) exited with code ${code}`));
      else resolve(result);
    });
    child.send({ type: 'task', task });
  });
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** [utime + stime, cutime + cstime] of a process in seconds (0 when it is gone). */
function procTimes(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime = field 14, stime 15, cutime 16, cstime 17, ppid = field 4
    return { own: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS, children: (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS, ppid: Number(fields[1]) };
  } catch {
    return { own: 0, children: 0, ppid: -1 };
  }
}

/**
 * CPU seconds used so far by the API, the gateway and the worker (when started) and PostgreSQL (the postmaster,
 * its live backends, and the backends it has reaped). Differences of two snapshots give the CPU
 * cost of what happened in between.
 */
export function cpuSnapshot(stack) {
  const out = { api: procTimes(stack.api.child.pid).own };
  if (stack.gatewayPid) out.gateway = procTimes(stack.gatewayPid).own;
  if (stack.workerPid) out.worker = procTimes(stack.workerPid).own;
  const postmaster = stack.postgres.pid;
  const pm = procTimes(postmaster);
  let total = pm.own + pm.children;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const t = procTimes(entry);
    if (t.ppid === postmaster) total += t.own;
  }
  out.postgres = total;
  return out;
}

/** CPU seconds of every process on the machine, with its parent and command (for foreignCpu). */
export function processTable() {
  const table = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const t = procTimes(entry);
    if (t.ppid < 0) continue;
    let cmd = '';
    try {
      cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim().slice(0, 120);
    } catch {
      // gone
    }
    table.set(Number(entry), { cpu: t.own, ppid: t.ppid, cmd });
  }
  return table;
}

/**
 * CPU seconds other processes (not this one or its descendants) used between two process tables:
 * a benchmark on a shared machine says how much it had to share. Processes that ended in between
 * are not seen (a lower bound).
 */
export function foreignCpu(before, after) {
  const ours = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of after) if (!ours.has(pid) && ours.has(p.ppid)) ours.add(pid), (grew = true);
  }
  let total = 0;
  const top = [];
  for (const [pid, p] of after) {
    if (ours.has(pid)) continue;
    const used = p.cpu - (before.get(pid)?.cmd === p.cmd ? before.get(pid).cpu : 0);
    if (used > 0.05) top.push({ pid, cpuSeconds: Math.round(used * 100) / 100, cmd: p.cmd });
    total += Math.max(0, used);
  }
  top.sort((a, b) => b.cpuSeconds - a.cpuSeconds);
  return { cpuSeconds: Math.round(total * 100) / 100, top: top.slice(0, 5) };
}

export function cpuDelta(before, after) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, Math.round((after[k] - (before[k] ?? 0)) * 100) / 100]));
}

/** One pg client for the harness's own SQL (truncate, counts, fixtures). */
export async function sql(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {});
  await client.connect();
  return client;
}
