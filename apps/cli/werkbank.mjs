#!/usr/bin/env node
// Werkbank developer/CI launcher, behind the root package.json scripts:
//
//   npm start        build, start PostgreSQL + Redis (embedded/local unless DATABASE_URL /
//                    REDIS_URL are set), migrate, run API + worker + metering gateway;
//                    Ctrl-C stops everything.
//   npm test         redis-server check, python3-searx check (the SearXNG suite starts it),
//                    tsc build, eslint (if configured), jest.
//                    Extra arguments go to jest: npm test -- --selectProjects unit
//   npm run bench    node test/bench/run.mjs (if present).
//
// Environment (start):
//   DATABASE_URL, REDIS_URL        use these servers instead of starting local ones
//   WERKBANK_DATA_DIR              local state (default ./.werkbank): postgres/, redis/,
//                                  postgres-password, secrets.json, *.log
//   WERKBANK_POSTGRES_PORT         fixed port for the embedded PostgreSQL (default: a free one)
//   PORT                           API port (default 3000)
//   GATEWAY_PORT                   metering gateway port (default 3001); its usage journal is
//                                  GATEWAY_JOURNAL_DIR (default $WERKBANK_DATA_DIR/gateway-journal)
//   JWT_SECRET, WERKBANK_ENCRYPTION_KEY   default: generated once, kept in secrets.json
//   WERKBANK_ADMIN_EMAIL           shown in the login hint (default admin@werkbank.local)
//   WERKBANK_SKIP_BUILD=1          skip `tsc -b` (e.g. when an IDE watcher builds)
//   WERKBANK_API_ENTRY, WERKBANK_WORKER_ENTRY, WERKBANK_GATEWAY_ENTRY
//                                  other entry points than apps/*/dist/main.js
//   WERKBANK_READY_TIMEOUT         seconds to wait for /health/ready (default 60)
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from './server-flags.mjs';

// The service helpers are shared with Jest's global setup (test/jest.global-setup.mjs).
// test/ is not an Nx project and @nx/enforce-module-boundaries rejects static relative
// imports of files outside projects, so they are loaded by URL.
const { ensureRedisServer, isPortFree, startPostgres, startRedis, terminateChild } = await import(
  new URL('../../test/support/services.mjs', import.meta.url).href
);

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const say = (message) => console.log(`[werkbank] ${message}`);
const raw = (message) => console.log(message);

class UserError extends Error {}
class Cancelled extends Error {}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Path as the user would type it from the current directory. */
function shown(p) {
  const rel = path.relative(process.cwd(), p);
  if (!rel) return '.';
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : `./${rel}`;
}

function maskUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

// The foreground tool being run (tsc, eslint, jest, migrate), for signal forwarding.
let foreground;

/** Runs a command with inherited stdio; resolves with its exit code (128+n for a signal). */
function run(command, args, { env = process.env, cwd = ROOT, name = command } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: 'inherit' });
    child.displayName = name;
    foreground = child;
    child.once('error', (error) => {
      if (foreground === child) foreground = undefined;
      reject(new UserError(`could not run ${command}: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      if (foreground === child) foreground = undefined;
      const signalNumbers = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
      resolve(code ?? 128 + (signalNumbers[signal] ?? 1));
    });
  });
}

// ---------------------------------------------------------------------------------------
// start
// ---------------------------------------------------------------------------------------

async function loadOrCreateSecrets(file) {
  const result = {};
  const wanted = {
    JWT_SECRET: () => crypto.randomBytes(48).toString('base64url'),
    WERKBANK_ENCRYPTION_KEY: () => crypto.randomBytes(32).toString('base64'),
  };
  const missing = Object.keys(wanted).filter((key) => !process.env[key]);
  for (const key of Object.keys(wanted)) if (process.env[key]) result[key] = process.env[key];
  if (missing.length === 0) return { secrets: result, note: 'JWT_SECRET and WERKBANK_ENCRYPTION_KEY from the environment' };

  let stored = {};
  try {
    stored = JSON.parse(await fsp.readFile(file, 'utf8'));
    await fsp.chmod(file, 0o600);
  } catch (error) {
    if (error.code !== 'ENOENT') throw new UserError(`cannot read ${shown(file)}: ${error.message}`);
  }
  const generated = missing.filter((key) => typeof stored[key] !== 'string' || !stored[key]);
  for (const key of generated) stored[key] = wanted[key]();
  if (generated.length) {
    const tmp = `${file}.${process.pid}.tmp`;
    await fsp.writeFile(tmp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    await fsp.rename(tmp, file);
  }
  for (const key of missing) result[key] = stored[key];
  const from = generated.length
    ? `generated ${generated.join(', ')} into ${shown(file)} (mode 0600)`
    : `${missing.join(', ')} from ${shown(file)}`;
  return { secrets: result, note: from };
}

function acquireLock(lockFile) {
  try {
    const pid = Number.parseInt(fs.readFileSync(lockFile, 'utf8'), 10);
    if (pid && pid !== process.pid) {
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('werkbank');
      } catch {
        alive = false;
      }
      if (alive) {
        throw new UserError(
          `another "npm start" (pid ${pid}) is already running with ${shown(path.dirname(lockFile))}. ` +
            `Stop it first, or use another WERKBANK_DATA_DIR.`,
        );
      }
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
  }
  fs.writeFileSync(lockFile, `${process.pid}\n`);
  return () => {
    try {
      if (Number.parseInt(fs.readFileSync(lockFile, 'utf8'), 10) === process.pid) fs.unlinkSync(lockFile);
    } catch {
      // ignore
    }
  };
}

function printBox(lines) {
  const width = Math.max(...lines.map((line) => line.length));
  const out = [`┌${'─'.repeat(width + 2)}┐`, ...lines.map((line) => `│ ${line.padEnd(width)} │`), `└${'─'.repeat(width + 2)}┘`];
  console.log(`\n${out.join('\n')}\n`);
}

async function start() {
  const STEPS = 6;
  const step = (n, message) => say(`${n}/${STEPS} ${message}`);
  const state = {
    shuttingDown: false,
    shutdown: undefined,
    api: undefined,
    worker: undefined,
    gateway: undefined,
    postgres: undefined, // promise of the handle
    redis: undefined,
    releaseLock: () => {},
    firstSignalAt: 0,
    extraSignals: 0,
  };
  const checkpoint = () => {
    if (state.shuttingDown) throw new Cancelled();
  };

  const shutdown = (code) => {
    state.shutdown ??= (async () => {
      state.shuttingDown = true;
      say('stopping ...');
      const apps = [
        ['API', state.api],
        ['worker', state.worker],
        ['gateway', state.gateway],
        [foreground?.displayName ?? 'command', foreground],
      ].filter(([, child]) => child && child.exitCode === null && child.signalCode === null);
      if (apps.length) say(`stopping ${apps.map(([name]) => name).join(', ')} (SIGTERM, SIGKILL after 15 s) ...`);
      await Promise.all(apps.map(([name, child]) => terminateChild(child, { signal: 'SIGTERM', graceMs: 15_000, name, log: raw })));
      const redis = await state.redis?.catch(() => undefined);
      if (redis) {
        say('stopping Redis ...');
        await redis.stop();
      }
      const postgres = await state.postgres?.catch(() => undefined);
      if (postgres) {
        say('stopping PostgreSQL ...');
        await postgres.stop();
      }
      state.releaseLock();
      say('stopped');
      process.exit(code);
    })();
    return state.shutdown;
  };

  const forceKill = () => {
    for (const child of [state.api, state.worker, state.gateway, foreground]) {
      try {
        child?.kill('SIGKILL');
      } catch {
        // gone
      }
    }
    // Resolved handles only; services.mjs' exit hook covers servers still starting.
    state.redis?.then((redis) => redis.child.kill('SIGKILL'), () => {});
    state.postgres?.then((pg) => pg.child.kill('SIGQUIT'), () => {}); // immediate shutdown
    setTimeout(() => process.exit(1), 200);
  };

  const onSignal = (signal) => {
    if (!state.shuttingDown) {
      state.firstSignalAt = Date.now();
      say(`${signal} received`);
      void shutdown(0);
      return;
    }
    // Ctrl-C under npm arrives twice (from the terminal and forwarded by npm): ignore repeats within 1 s.
    if (Date.now() - state.firstSignalAt < 1_000) return;
    state.extraSignals += 1;
    if (state.extraSignals === 1) {
      say('still stopping (waiting for processes to exit); press Ctrl-C again to kill everything');
    } else {
      say('killing everything');
      forceKill();
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => onSignal(signal));

  const dataDir = path.resolve(process.env.WERKBANK_DATA_DIR ?? path.join(ROOT, '.werkbank'));
  const apiEntry = path.resolve(ROOT, process.env.WERKBANK_API_ENTRY ?? 'apps/api/dist/main.js');
  const workerEntry = path.resolve(ROOT, process.env.WERKBANK_WORKER_ENTRY ?? 'apps/worker/dist/main.js');
  const gatewayEntry = path.resolve(ROOT, process.env.WERKBANK_GATEWAY_ENTRY ?? 'apps/gateway/dist/main.js');
  const port = Number(process.env.PORT ?? 3000);
  const gatewayPort = Number(process.env.GATEWAY_PORT ?? 3001);

  try {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UserError(`PORT must be a port number (got ${JSON.stringify(process.env.PORT)})`);
    if (!(await isPortFree(port))) {
      throw new UserError(`port ${port} is already in use (another Werkbank still running?). Stop that, or start with PORT=<other port> npm start.`);
    }
    if (!Number.isInteger(gatewayPort) || gatewayPort < 1 || gatewayPort > 65535 || gatewayPort === port) {
      throw new UserError(`GATEWAY_PORT must be a port number other than PORT (got ${JSON.stringify(process.env.GATEWAY_PORT)})`);
    }
    if (!(await isPortFree(gatewayPort))) {
      throw new UserError(`port ${gatewayPort} (the metering gateway's) is already in use. Stop that, or start with GATEWAY_PORT=<other port> npm start.`);
    }
    await fsp.mkdir(dataDir, { recursive: true });
    state.releaseLock = acquireLock(path.join(dataDir, 'launcher.pid'));

    // 1. build
    if (process.env.WERKBANK_SKIP_BUILD === '1') {
      step(1, 'building: skipped (WERKBANK_SKIP_BUILD=1)');
    } else {
      step(1, 'building: npx tsc -b tsconfig.build.json ...');
      const t = Date.now();
      const code = await run('npx', ['--no', '--', 'tsc', '-b', 'tsconfig.build.json'], { name: 'tsc' });
      checkpoint();
      if (code !== 0) throw new UserError(`build failed (tsc exit code ${code}): fix the TypeScript errors above and run npm start again`);
      say(`    built in ${seconds(t)}`);
    }
    for (const [name, entry] of [['API', apiEntry], ['worker', workerEntry], ['gateway', gatewayEntry]]) {
      if (!fs.existsSync(entry)) throw new UserError(`the ${name} entry point ${shown(entry)} does not exist (did the build produce it?)`);
    }

    // 2. PostgreSQL
    let databaseUrl = process.env.DATABASE_URL;
    let postgresNote;
    if (databaseUrl) {
      step(2, `PostgreSQL: using DATABASE_URL (${maskUrl(databaseUrl)})`);
      postgresNote = maskUrl(databaseUrl);
    } else {
      const pgDir = path.join(dataDir, 'postgres');
      const reuse = fs.existsSync(path.join(pgDir, 'PG_VERSION'));
      const fixedPort = process.env.WERKBANK_POSTGRES_PORT ? Number(process.env.WERKBANK_POSTGRES_PORT) : undefined;
      if (fixedPort !== undefined && !(Number.isInteger(fixedPort) && fixedPort > 0 && fixedPort < 65536)) {
        throw new UserError(`WERKBANK_POSTGRES_PORT must be a port number (got ${JSON.stringify(process.env.WERKBANK_POSTGRES_PORT)})`);
      }
      step(2, `starting PostgreSQL (embedded, ${reuse ? 'reusing the data' : 'new data dir'} in ${shown(pgDir)}) ...`);
      const t = Date.now();
      state.postgres = startPostgres({ dataDir: pgDir, port: fixedPort, persistent: true, detached: true, onStale: 'stop', log: raw });
      const pg = await state.postgres;
      checkpoint();
      databaseUrl = pg.url;
      postgresNote = `${maskUrl(pg.url)}  (password: ${shown(path.join(dataDir, 'postgres-password'))})`;
      say(`    PostgreSQL ready on 127.0.0.1:${pg.port} in ${seconds(t)} (log: ${shown(pg.logFile)})`);
    }

    // 3. Redis
    let redisUrl = process.env.REDIS_URL;
    let redisNote;
    if (redisUrl) {
      step(3, `Redis: using REDIS_URL (${maskUrl(redisUrl)})`);
      redisNote = maskUrl(redisUrl);
    } else {
      const redisDir = path.join(dataDir, 'redis');
      step(3, `starting Redis (redis-server, AOF data in ${shown(redisDir)}) ...`);
      const t = Date.now();
      const bin = await ensureRedisServer({ log: raw });
      checkpoint();
      state.redis = startRedis({ dir: redisDir, bin, detached: true, onStale: 'stop', log: raw });
      const redis = await state.redis;
      checkpoint();
      redisUrl = redis.url;
      redisNote = redis.url;
      say(`    Redis ready on 127.0.0.1:${redis.port} in ${seconds(t)} (log: ${shown(redis.logFile)})`);
    }

    // 4. secrets
    step(4, 'secrets ...');
    const { secrets, note } = await loadOrCreateSecrets(path.join(dataDir, 'secrets.json'));
    say(`    ${note}`);

    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      JWT_SECRET: secrets.JWT_SECRET,
      WERKBANK_ENCRYPTION_KEY: secrets.WERKBANK_ENCRYPTION_KEY,
      NODE_ENV: process.env.NODE_ENV ?? 'development',
      PORT: String(port),
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_JOURNAL_DIR: process.env.GATEWAY_JOURNAL_DIR ?? path.join(dataDir, 'gateway-journal'),
    };

    // 5. migrate
    step(5, `migrating: node ${shown(apiEntry)} migrate ...`);
    {
      const t = Date.now();
      const code = await run(process.execPath, [apiEntry, 'migrate'], { env, name: 'migrate' });
      checkpoint();
      if (code !== 0) throw new UserError(`migration failed (exit code ${code}); see the output above`);
      say(`    migrated in ${seconds(t)}`);
    }

    // 6. API + worker
    step(6, `starting the API (${shown(apiEntry)}, port ${port}), the worker (${shown(workerEntry)}) and the metering gateway (${shown(gatewayEntry)}, port ${gatewayPort}) ...`);
    const t = Date.now();
    const launch = (name, entry) => {
      // Own process group: Ctrl-C reaches only this launcher, which stops the apps first
      // and the databases after them.
      const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, entry], { cwd: ROOT, env, stdio: 'inherit', detached: true });
      child.once('error', (error) => {
        if (state.shuttingDown) return;
        say(`could not start the ${name}: ${error.message}`);
        void shutdown(1);
      });
      child.once('exit', (code, signal) => {
        if (state.shuttingDown) return;
        say(`the ${name} exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`}); stopping everything`);
        void shutdown(1);
      });
      return child;
    };
    state.api = launch('API', apiEntry);
    state.worker = launch('worker', workerEntry);
    state.gateway = launch('gateway', gatewayEntry);

    const timeoutMs = Number(process.env.WERKBANK_READY_TIMEOUT ?? 60) * 1000;
    const waitReady = async (name, readyUrl) => {
      let lastStatus = 'no answer';
      let nextNote = Date.now() + 5_000;
      while (true) {
        checkpoint();
        try {
          const response = await fetch(readyUrl, { signal: AbortSignal.timeout(2_000) });
          lastStatus = `HTTP ${response.status}`;
          await response.body?.cancel();
          if (response.status === 200) break;
        } catch {
          lastStatus = 'no answer';
        }
        checkpoint();
        if (Date.now() - t > timeoutMs) {
          throw new UserError(`the ${name} did not become ready within ${timeoutMs / 1000} s (${readyUrl}: ${lastStatus})`);
        }
        if (Date.now() >= nextNote) {
          say(`    waiting for ${readyUrl} (${lastStatus}, ${Math.round((Date.now() - t) / 1000)} s) ...`);
          nextNote += 5_000;
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      say(`    ${name} ready in ${seconds(t)}`);
    };
    await waitReady('API', `http://127.0.0.1:${port}/health/ready`);
    await waitReady('gateway', `http://127.0.0.1:${gatewayPort}/health/ready`);

    const base = `http://localhost:${port}`;
    const email = process.env.WERKBANK_ADMIN_EMAIL || 'admin@werkbank.local';
    printBox([
      'Werkbank is running',
      '',
      `API           ${base}/v1`,
      `OpenAPI docs  ${base}/docs   (JSON: ${base}/docs/openapi.json)`,
      `Gateway       http://localhost:${gatewayPort}/<plugin>/...   (API keys with scope gateway:<plugin>)`,
      `PostgreSQL    ${postgresNote}`,
      `Redis         ${redisNote}`,
      '',
      'Log in:',
      `  curl -X POST ${base}/v1/auth/login \\`,
      `    -H 'content-type: application/json' \\`,
      `    -d '${JSON.stringify({ email, password: '...' })}'`,
      process.env.WERKBANK_ADMIN_PASSWORD
        ? '  password: the value of WERKBANK_ADMIN_PASSWORD'
        : '  password: WERKBANK_ADMIN_PASSWORD, or the one printed at the first start',
      '',
      'Press Ctrl-C to stop.',
    ]);
  } catch (error) {
    if (error instanceof Cancelled || state.shuttingDown) return; // a signal is already stopping everything
    say(`error: ${error instanceof UserError || !process.env.WERKBANK_DEBUG ? (error?.message ?? error) : error.stack}`);
    await shutdown(1);
  }
}

// ---------------------------------------------------------------------------------------
// test
// ---------------------------------------------------------------------------------------

async function test(jestArgs) {
  const STEPS = 5;
  const step = (n, message) => say(`${n}/${STEPS} ${message}`);
  // Ctrl-C in a terminal reaches the tools directly; a signal sent only to us is passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (foreground) {
        try {
          foreground.kill(signal);
        } catch {
          // gone
        }
      } else {
        process.exit(130);
      }
    });
  }
  const fail = (message, code = 1) => {
    say(`error: ${message}`);
    process.exit(code);
  };

  if (process.env.REDIS_URL) {
    step(1, `redis-server: not needed, REDIS_URL is set (${maskUrl(process.env.REDIS_URL)})`);
  } else {
    step(1, 'checking for redis-server (the e2e tests start one) ...');
    try {
      say(`    found ${await ensureRedisServer({ log: raw })}`);
    } catch (error) {
      fail(error.message);
    }
  }

  // The SearXNG plugin's e2e suite starts Debian's python3-searx; installed like redis-server (root + apt).
  // Without it only that suite fails, saying what to install, so the other tests still run.
  step(2, 'checking for python3-searx (the SearXNG e2e test starts it) ...');
  const { ensureSearx } = await import(new URL('../../test/plugins/searxng/searx-install.mjs', import.meta.url).href);
  try {
    say(`    found ${await ensureSearx({ log: raw })}`);
  } catch (error) {
    say(`    warning: ${error.message.replace(/\n/g, '\n    ')}`);
  }

  step(3, 'type-check and build: npx tsc -b tsconfig.build.json, then npx tsc -p tsconfig.json (tests too) ...');
  let t = Date.now();
  let code = await run('npx', ['--no', '--', 'tsc', '-b', 'tsconfig.build.json']);
  if (code !== 0) fail(`type-check/build failed (tsc exit code ${code})`, code);
  // Jest compiles with SWC, which does not type-check: check the tests' types here.
  code = await run('npx', ['--no', '--', 'tsc', '-p', 'tsconfig.json']);
  if (code !== 0) fail(`type-check of the whole tree failed (tsc exit code ${code})`, code);
  say(`    done in ${seconds(t)}`);

  if (fs.existsSync(path.join(ROOT, 'eslint.config.mjs'))) {
    step(4, 'lint: npx eslint . --max-warnings=0 ...');
    t = Date.now();
    code = await run('npx', ['--no', '--', 'eslint', '.', '--max-warnings=0']);
    if (code !== 0) fail(`lint failed (eslint exit code ${code})`, code);
    say(`    done in ${seconds(t)}`);
  } else {
    step(4, 'lint: skipped (no eslint.config.mjs)');
  }

  const args = ['--ci', '--maxWorkers=2', ...jestArgs];
  step(5, `tests: npx jest ${args.join(' ')} ...`);
  t = Date.now();
  code = await run('npx', ['--no', '--', 'jest', ...args]);
  say(code === 0 ? `    tests passed in ${seconds(t)}` : `error: tests failed (jest exit code ${code})`);
  process.exit(code);
}

// ---------------------------------------------------------------------------------------
// bench
// ---------------------------------------------------------------------------------------

async function bench(args) {
  const script = path.join(ROOT, 'test', 'bench', 'run.mjs');
  if (!fs.existsSync(script)) {
    say('no benchmarks yet');
    process.exit(0);
  }
  say(`running node ${shown(script)} ${args.join(' ')}`.trimEnd());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => foreground?.kill(signal));
  process.exit(await run(process.execPath, [script, ...args]));
}

// ---------------------------------------------------------------------------------------

const [command, ...rest] = process.argv.slice(2);
const commands = { start: () => start(), test: () => test(rest), bench: () => bench(rest) };
if (!commands[command]) {
  console.error('usage: node apps/cli/werkbank.mjs start|test|bench [args]\n  (npm start | npm test [-- jest args] | npm run bench)');
  process.exit(2);
}
commands[command]().catch((error) => {
  say(`error: ${error instanceof UserError ? error.message : (error?.stack ?? error)}`);
  process.exit(1);
});
