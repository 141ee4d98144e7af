import { Injectable } from '@nestjs/common';
import { TransactionRunner } from '@werkbank/kernel';
import type { Meter } from '../domain/meter';
import { MeterRepository } from '../infrastructure/persistence/meter.repository';

/** Meters change rarely; ingestion looks them up per event, so they are cached per process. */
const FRESH_MS = 5_000;
/** An unknown key reloads the table at most this often (a meter just created by another replica shows up). */
const MISS_RELOAD_MS = 1_000;

@Injectable()
export class MeterCatalog {
  private meters = new Map<string, Meter>();
  private loadedAt = 0;
  private loading?: Promise<void>;

  constructor(private readonly repository: MeterRepository, private readonly tx: TransactionRunner) {}

  /** Every meter, at most a few seconds old. */
  async all(): Promise<Meter[]> {
    if (Date.now() - this.loadedAt > FRESH_MS) await this.reload();
    return [...this.meters.values()];
  }

  /** The meters of these keys that exist; reloads once when one is missing from the cache. */
  async lookup(keys: Iterable<string>): Promise<Map<string, Meter>> {
    if (Date.now() - this.loadedAt > FRESH_MS) await this.reload();
    const wanted = [...new Set(keys)];
    if (wanted.some((k) => !this.meters.has(k)) && Date.now() - this.loadedAt > MISS_RELOAD_MS) await this.reload();
    const found = new Map<string, Meter>();
    for (const key of wanted) {
      const meter = this.meters.get(key);
      if (meter) found.set(key, meter);
    }
    return found;
  }

  async get(key: string): Promise<Meter | undefined> {
    return (await this.lookup([key])).get(key);
  }

  /** After a change in this process: the next lookup reads the table. */
  invalidate(): void {
    this.loadedAt = 0;
  }

  private reload(): Promise<void> {
    this.loading ??= this.repository.all(this.tx.reader()).then(
      (meters) => {
        this.meters = new Map(meters.map((m) => [m.key, m]));
        this.loadedAt = Date.now();
        this.loading = undefined;
      },
      (error: unknown) => {
        this.loading = undefined;
        throw error;
      },
    );
    return this.loading;
  }
}
