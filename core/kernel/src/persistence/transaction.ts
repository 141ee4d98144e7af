import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/**
 * An open database transaction, opaque to application code: handlers pass it to
 * repositories, and only repositories (infrastructure) look inside.
 */
export interface Tx {
  readonly __tx: unique symbol;
}

export function entityManagerOf(tx: Tx): EntityManager {
  return tx as unknown as EntityManager;
}

@Injectable()
export class TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  /** Runs `work` in one transaction; the change, its outbox events and audit rows commit together. */
  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(manager as unknown as Tx));
  }

  /** A non-transactional handle for reads. */
  reader(): Tx {
    return this.dataSource.manager as unknown as Tx;
  }
}

/** What preparedQuery needs of node-postgres' pool (TypeORM's `driver.master`). */
interface PgPool {
  options: Record<string, unknown>;
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  end(...args: unknown[]): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface PreparedQueryOptions {
  /**
   * `generic`: on a reader, run on connections whose sessions plan prepared statements once for any
   * parameters (`plan_cache_mode = force_generic_plan`). PostgreSQL's own choice keeps re-planning a
   * statement over partitioned tables for every execution when the generic plan's estimate (every
   * partition, pruned only at run time) looks dearer than a custom plan's; for a large statement
   * that planning costs more than running it. Only for statements whose best plan does not depend on
   * the values (the same indexes for every tenant). In a transaction the session's setting applies.
   */
  plan?: 'generic';
}

/** Per pool of TypeORM, a small pool of the same database whose sessions plan prepared statements generically. */
const genericPools = new WeakMap<PgPool, PgPool>();
const GENERIC_PLAN_OPTION = '-c plan_cache_mode=force_generic_plan';

function genericPoolOf(master: PgPool): PgPool {
  let pool = genericPools.get(master);
  if (pool) return pool;
  const options = master.options;
  // a quarter of the main pool (5 of 20): only the few statements meant for it run here
  const max = typeof options.max === 'number' ? Math.max(2, Math.ceil(options.max / 4)) : 5;
  const PoolClass = master.constructor as new (options: Record<string, unknown>) => PgPool;
  pool = new PoolClass({
    ...options, max,
    options: typeof options.options === 'string' && options.options ? `${options.options} ${GENERIC_PLAN_OPTION}` : GENERIC_PLAN_OPTION,
    allowExitOnIdle: true,
  });
  // An idle connection that breaks (PostgreSQL restarted) is dropped; the next query opens another.
  pool.on('error', () => undefined);
  genericPools.set(master, pool);
  // It closes with the pool it belongs to (TypeORM ends `master` when the data source is destroyed).
  const end = master.end;
  master.end = function (this: PgPool, ...args: unknown[]) {
    genericPools.delete(master);
    void Promise.resolve(pool!.end()).catch(() => undefined);
    return end.apply(this, args);
  };
  return pool;
}

/**
 * Runs a named statement: PostgreSQL parses it once per connection and keeps its plan cache entry
 * (for statements run often whose parsing and planning cost much compared with running them).
 * `name` must stand for this one `text`. Runs in the transaction of `tx`, or on a pooled connection
 * for a reader (see PreparedQueryOptions for `plan: 'generic'`).
 */
export async function preparedQuery<T>(tx: Tx, name: string, text: string, values: unknown[], options: PreparedQueryOptions = {}): Promise<T[]> {
  const manager = entityManagerOf(tx);
  const runner = manager.queryRunner;
  let client: Pick<PgPool, 'query'>;
  if (runner && !runner.isReleased) {
    client = (await runner.connect()) as PgPool;
  } else {
    const master = (manager.connection.driver as unknown as { master: PgPool }).master;
    client = options.plan === 'generic' ? genericPoolOf(master) : master;
  }
  return (await client.query({ name, text, values })).rows as T[];
}
