import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { monthKey, partitionDdl } from './usage-partitions.sql';

/**
 * Makes sure the monthly partitions exist before events are inserted. Which months exist is
 * cached; a missing one is created in its own statement, outside the ingest transaction (the DDL
 * locks the parent table briefly).
 */
@Injectable()
export class UsagePartitions {
  private readonly logger = new Logger('UsagePartitions');
  private known?: Promise<Set<string>>;

  constructor(private readonly dataSource: DataSource) {}

  async ensureFor(epochMs: Iterable<number>): Promise<void> {
    const wanted = new Set<string>();
    for (const ms of epochMs) wanted.add(monthKey(ms));
    await this.ensure(wanted);
  }

  async ensure(monthKeys: Iterable<string>): Promise<void> {
    const known = await this.load();
    for (const key of monthKeys) {
      if (known.has(key)) continue;
      try {
        await this.dataSource.query(partitionDdl(key));
      } catch (error) {
        // A concurrent creator (another replica) won the race; the partition exists either way.
        if (!(await this.exists(key))) throw error;
      }
      known.add(key);
      this.logger.log({ msg: `created usage_events partition for ${key}` });
    }
  }

  private load(): Promise<Set<string>> {
    this.known ??= this.dataSource
      .query(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'usage_events'::regclass`)
      .then((rows: Array<{ relname: string }>) => new Set(rows.map((r) => r.relname.replace(/^usage_events_p/, ''))))
      .catch((error: unknown) => {
        this.known = undefined;
        throw error;
      });
    return this.known;
  }

  private async exists(key: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'usage_events'::regclass AND c.relname = $1`,
      [`usage_events_p${key}`],
    );
    return rows.length > 0;
  }
}
