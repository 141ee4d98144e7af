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
