import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, Clock, OutboxWriter, TransactionRunner } from '@werkbank/kernel';
import { TenancyPrincipal, TenantDirectory } from '@werkbank/tenancy';
import {
  checkUsageEvent, CheckedUsageEvent, isRejection, USAGE_REJECTIONS, UsageEventInput, UsageRejection,
} from '../domain/usage-event';
import { dedupKey, UsageEventRepository } from '../infrastructure/persistence/usage-event.repository';
import { UsagePartitions } from '../infrastructure/persistence/usage-partitions';
import { MeterCatalog } from './meter-catalog';

export type { UsageEventInput } from '../domain/usage-event';

export interface IngestResult {
  accepted: number;
  duplicates: number;
  rejected: Array<{ index: number; code: string; message: string }>;
}

/**
 * Who records usage: a caller of the API (users and API keys with `usage:write`, for tenants in
 * their subtree) or trusted code of the platform (the gateway, the usage collectors) for any tenant.
 */
export type IngestCaller = { kind: 'principal'; principal: TenancyPrincipal } | { kind: 'trusted'; source: string };

/** Events per call; the HTTP route refuses larger envelopes. */
export const MAX_EVENTS_PER_BATCH = 10_000;

/** A transaction that lost a deadlock or serialization race is retried this often. */
const RETRIES = 3;

/**
 * The one way usage gets recorded: every event is checked on its own (one bad event never
 * rejects its neighbours), deduplicated per (tenant, idempotency key) by the database's unique
 * key, and written with its batch in one transaction, committed before this returns.
 */
@Injectable()
export class UsageIngestion {
  private readonly logger = new Logger('UsageIngestion');

  constructor(
    private readonly events: UsageEventRepository,
    private readonly partitions: UsagePartitions,
    private readonly meters: MeterCatalog,
    private readonly tenants: TenantDirectory,
    private readonly tx: TransactionRunner,
    private readonly outbox: OutboxWriter,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async ingest(events: UsageEventInput[], caller: IngestCaller): Promise<IngestResult> {
    if (!Array.isArray(events)) throw new TypeError('events must be an array');
    if (events.length > MAX_EVENTS_PER_BATCH) throw new RangeError(`at most ${MAX_EVENTS_PER_BATCH} events per call`);
    const now = this.clock.now();
    const raw: unknown[] = events;
    const field = (e: unknown, name: string): unknown => (e !== null && typeof e === 'object' ? (e as Record<string, unknown>)[name] : undefined);
    const tenantIds = raw.map((e) => field(e, 'tenantId')).filter((v): v is string => typeof v === 'string');
    const meterKeys = raw.map((e) => field(e, 'meter')).filter((v): v is string => typeof v === 'string');
    const [allowed, meters] = await Promise.all([
      this.tenants.permittedIds(this.tx.reader(), tenantIds, caller.kind === 'principal' ? caller.principal : null, 'usage:write'),
      this.meters.lookup(meterKeys),
    ]);

    const rejected: UsageRejection[] = [];
    const checked: CheckedUsageEvent[] = [];
    const ctx = { now, tenantAllowed: (id: string) => allowed.has(id), meter: (key: string) => meters.get(key) };
    raw.forEach((event, index) => {
      const result = checkUsageEvent(event, index, ctx);
      if (isRejection(result)) rejected.push(result);
      else checked.push(result);
    });

    // One row per key goes to the database: the first of each key; the others are settled below.
    const firsts = new Map<string, CheckedUsageEvent>();
    for (const e of checked) {
      const key = dedupKey(e.tenantId, e.idempotencyKey);
      if (!firsts.has(key)) firsts.set(key, e);
    }
    const unique = [...firsts.values()];
    await this.partitions.ensureFor(unique.map((e) => e.epochMs));

    const { won, recorded } = await this.withRetries(() => this.tx.run(async (tx) => {
      const wonIndexes = new Set(await this.events.record(tx, unique, now));
      const lost = unique.filter((e) => !wonIndexes.has(e.index));
      const recordedHashes = await this.events.recordedHashes(tx, lost);
      const winners = unique.filter((e) => wonIndexes.has(e.index));
      await this.outbox.append(tx, ...usageRecordedEvents(winners));
      return { won: wonIndexes, recorded: recordedHashes };
    }));

    let duplicates = 0;
    for (const e of checked) {
      if (won.has(e.index)) continue;
      const key = dedupKey(e.tenantId, e.idempotencyKey);
      // What the key stands for: the database's earlier event, or this batch's first copy.
      const standing = recorded.get(key) ?? firsts.get(key)!.contentHash;
      if (standing === e.contentHash) duplicates += 1;
      else rejected.push({ index: e.index, code: USAGE_REJECTIONS.idempotencyConflict, message: 'this idempotencyKey was already used for an event with other content (meter, quantity, timestamp or properties)' });
    }
    rejected.sort((a, b) => a.index - b.index);
    if (caller.kind === 'trusted' && rejected.length) {
      this.logger.warn({ msg: 'usage events from a trusted source were rejected', source: caller.source, rejected: rejected.length, codes: [...new Set(rejected.map((r) => r.code))] });
    }
    return { accepted: won.size, duplicates, rejected };
  }

  private async withRetries<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const code = (error as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (error as { code?: string }).code;
        if (attempt >= RETRIES || (code !== '40P01' && code !== '40001')) throw error;
      }
    }
  }
}

/**
 * One `metering.usage_recorded` event per tenant of a batch: which meters got usage and the time
 * range it covers, for quota checks now and for billing's late-usage rule later.
 */
function usageRecordedEvents(winners: readonly CheckedUsageEvent[]) {
  const byTenant = new Map<string, { meters: Set<string>; count: number; from: string; to: string }>();
  for (const e of winners) {
    const t = byTenant.get(e.tenantId);
    if (!t) byTenant.set(e.tenantId, { meters: new Set([e.meter]), count: 1, from: e.occurredAt, to: e.occurredAt });
    else {
      t.meters.add(e.meter);
      t.count += 1;
      if (e.occurredAt < t.from) t.from = e.occurredAt;
      if (e.occurredAt > t.to) t.to = e.occurredAt;
    }
  }
  return [...byTenant.entries()].map(([tenantId, t]) => ({
    type: USAGE_RECORDED,
    tenantId,
    payload: { tenantId, meters: [...t.meters].sort(), accepted: t.count, from: t.from, to: t.to },
  }));
}

export const USAGE_RECORDED = 'metering.usage_recorded';
