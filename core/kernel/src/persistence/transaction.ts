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

/**
 * Runs a named statement: PostgreSQL parses and plans it once per connection and reuses the plan
 * (for statements run often whose planning costs more than their execution). `name` must stand for
 * this one `text`. Runs in the transaction of `tx`, or on a pooled connection for a reader.
 */
export async function preparedQuery<T>(tx: Tx, name: string, text: string, values: unknown[]): Promise<T[]> {
  const manager = entityManagerOf(tx);
  const runner = manager.queryRunner;
  const client = (runner && !runner.isReleased ? await runner.connect() : (manager.connection.driver as unknown as { master: unknown }).master) as {
    query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: T[] }>;
  };
  return (await client.query({ name, text, values })).rows;
}
