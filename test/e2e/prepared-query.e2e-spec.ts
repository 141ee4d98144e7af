// preparedQuery (core/kernel) on a real PostgreSQL: named statements, and `plan: 'generic'` on a
// reader, which runs them on sessions that plan them once for any parameters.
import { entityManagerOf, preparedQuery, TransactionRunner, Tx } from '@werkbank/kernel';
import { DataSource } from 'typeorm';
import { createTestDatabase } from '../support/e2e-db';
import { waitFor } from '../support/wait-for';

// A statement with a parameter: PostgreSQL's own choice plans it anew for its first five runs.
const STATEMENT = 'SELECT count(*)::int AS n FROM pg_class WHERE relname = $1';
const PLANS = `SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE name = $1`;

describe('preparedQuery', () => {
  let db: { url: string; drop(): Promise<void> };
  const applicationName = `prepared-query-${process.pid}`;
  const open = async () => new DataSource({ type: 'postgres', url: db.url, applicationName, extra: { max: 4 } }).initialize();

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  it('plans a statement run with plan "generic" once, generically; without it PostgreSQL plans it per run first', async () => {
    const dataSource = await open();
    try {
      const reader = new TransactionRunner(dataSource).reader();
      for (let i = 0; i < 7; i++) {
        expect(await preparedQuery<{ n: number }>(reader, 'pq_generic', STATEMENT, ['pg_class'], { plan: 'generic' })).toEqual([{ n: 1 }]);
      }
      // one run after another takes the same idle connection of the pool, where the statement lives
      expect(await preparedQuery(reader, 'pq_generic_plans', PLANS, ['pq_generic'], { plan: 'generic' })).toEqual([{ generic: 7, custom: 0 }]);

      for (let i = 0; i < 7; i++) await preparedQuery(reader, 'pq_default', STATEMENT, ['pg_class']);
      const [plans] = await preparedQuery<{ generic: number; custom: number }>(reader, 'pq_default_plans', PLANS, ['pq_default']);
      expect(plans.custom).toBeGreaterThanOrEqual(5);
      expect(plans.generic + plans.custom).toBe(7);
    } finally {
      await dataSource.destroy();
    }
  });

  it('in a transaction runs on its connection (the session\'s own setting)', async () => {
    const dataSource = await open();
    try {
      const inside = await new TransactionRunner(dataSource).run(async (tx: Tx) => {
        const [{ pid }] = await entityManagerOf(tx).query('SELECT pg_backend_pid() AS pid');
        const [row] = await preparedQuery<{ pid: number; mode: string }>(tx, 'pq_tx', 'SELECT pg_backend_pid() AS pid, current_setting($1) AS mode', ['plan_cache_mode'], { plan: 'generic' });
        return { same: row.pid === pid, mode: row.mode };
      });
      expect(inside).toEqual({ same: true, mode: 'auto' });
    } finally {
      await dataSource.destroy();
    }
  });

  it('closes its generic sessions with the data source', async () => {
    const dataSource = await open();
    const reader = new TransactionRunner(dataSource).reader();
    const [{ mode }] = await preparedQuery<{ mode: string }>(reader, 'pq_mode', 'SELECT current_setting($1) AS mode', ['plan_cache_mode'], { plan: 'generic' });
    expect(mode).toBe('force_generic_plan');
    const watcher = await open();
    try {
      const sessions = async () => (await watcher.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, [applicationName]))[0].n;
      expect(await sessions()).toBeGreaterThanOrEqual(2); // the data source's own and the generic one
      await dataSource.destroy();
      await waitFor('every session of the destroyed data source to close', async () => (await sessions()) === 0, 5_000); // an idle session would close by itself only after 10 s
    } finally {
      await watcher.destroy();
    }
  });
});
