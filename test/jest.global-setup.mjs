// Jest globalSetup of the e2e project: provides PostgreSQL and Redis for the e2e suites.
//
// - DATABASE_URL set: used as is; otherwise an ephemeral embedded PostgreSQL is started in a
//   temp dir on a free port. REDIS_URL set: used as is; otherwise redis-server (installed
//   when missing and running as root) is started in a temp dir on a free port.
// - Exports to process.env (inherited by the Jest workers):
//     WERKBANK_TEST_DATABASE_URL        the `werkbank` database (or DATABASE_URL)
//     WERKBANK_TEST_ADMIN_DATABASE_URL  same server, database `postgres`, for CREATE DATABASE
//     WERKBANK_TEST_REDIS_URL
//   Suites get an isolated database each with createTestDatabase() from test/support/e2e-db.ts.
// - test/jest.global-teardown.mjs stops what was started and removes the temp dir.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureRedisServer, startPostgres, startRedis, withDatabase } from './support/services.mjs';

const STATE_KEY = '__WERKBANK_TEST_SERVICES__';
const log = (message) => console.log(message.replace(/^\[werkbank\]/, '[werkbank:test]'));

export async function stopTestServices() {
  const state = globalThis[STATE_KEY];
  if (!state) return;
  delete globalThis[STATE_KEY];
  for (const [signal, handler] of state.signalHandlers) process.removeListener(signal, handler);
  process.removeListener('exit', state.onExit);
  await state.redis?.stop().catch((error) => console.error('[werkbank:test] stopping Redis failed:', error));
  await state.postgres?.stop().catch((error) => console.error('[werkbank:test] stopping PostgreSQL failed:', error));
  if (state.tmpDir) await fs.rm(state.tmpDir, { recursive: true, force: true }).catch(() => {});
}

export default async function globalSetup() {
  if (globalThis[STATE_KEY]) return; // watch mode re-runs: keep the running services
  const state = { tmpDir: undefined, postgres: undefined, redis: undefined, signalHandlers: [], interrupted: false, onExit: () => {} };
  globalThis[STATE_KEY] = state;

  // Jest runs no teardown when it is interrupted: stop our servers ourselves, then exit.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    const handler = () => {
      if (state.interrupted) return; // the terminal and a parent process may both send it
      state.interrupted = true;
      log(`[werkbank] ${signal}: stopping test PostgreSQL/Redis ...`);
      stopTestServices().finally(() => process.exit(130));
    };
    process.on(signal, handler);
    state.signalHandlers.push([signal, handler]);
  }

  // A test that calls process.exit() (in-band runs) ends Jest without teardown.
  // services.mjs then signals the servers to stop; a detached helper removes the temp dir
  // once they are gone.
  state.onExit = () => {
    if (!state.tmpDir) return;
    const pids = [state.postgres?.pid, state.redis?.pid].filter(Boolean).join(' ');
    const script = `for p in ${pids}; do for i in $(seq 1 300); do kill -0 $p 2>/dev/null || break; sleep 0.1; done; done; rm -rf "$0"`;
    try {
      spawn('sh', ['-c', script, state.tmpDir], { detached: true, stdio: 'ignore' }).unref();
    } catch {
      // best effort
    }
  };
  process.on('exit', state.onExit);

  try {
    const needTmp = !process.env.DATABASE_URL || !process.env.REDIS_URL;
    if (needTmp) {
      state.tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'werkbank-test-'));
      // the embedded PostgreSQL runs as the `postgres` user when we are root: let it in
      await fs.chmod(state.tmpDir, 0o755);
    }

    const started = Date.now();
    if (process.env.DATABASE_URL) {
      process.env.WERKBANK_TEST_DATABASE_URL = process.env.DATABASE_URL;
      process.env.WERKBANK_TEST_ADMIN_DATABASE_URL = withDatabase(process.env.DATABASE_URL, 'postgres');
      log('[werkbank] PostgreSQL: using DATABASE_URL');
    } else {
      state.postgres = await startPostgres({
        dataDir: path.join(state.tmpDir, 'postgres', 'data'),
        persistent: false,
        log,
      });
      process.env.WERKBANK_TEST_DATABASE_URL = state.postgres.url;
      process.env.WERKBANK_TEST_ADMIN_DATABASE_URL = state.postgres.adminUrl;
      log(`[werkbank] PostgreSQL (embedded) ready on 127.0.0.1:${state.postgres.port} in ${Date.now() - started} ms`);
    }

    if (process.env.REDIS_URL) {
      process.env.WERKBANK_TEST_REDIS_URL = process.env.REDIS_URL;
      log('[werkbank] Redis: using REDIS_URL');
    } else {
      const bin = await ensureRedisServer({ log });
      const redisStarted = Date.now();
      state.redis = await startRedis({ dir: path.join(state.tmpDir, 'redis'), bin, log });
      process.env.WERKBANK_TEST_REDIS_URL = state.redis.url;
      log(`[werkbank] Redis ready on 127.0.0.1:${state.redis.port} in ${Date.now() - redisStarted} ms`);
    }
  } catch (error) {
    // Jest skips globalTeardown when globalSetup fails: clean up here.
    await stopTestServices();
    throw error;
  }
}
