import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK, Clock, TransactionRunner, uuidv7 } from '@werkbank/kernel';
import { TenancyPrincipal, TenantDirectory } from '@werkbank/tenancy';
import {
  checkUsageEvent, CheckedUsageEvent, isRejection, USAGE_REJECTIONS, UsageEventInput, UsageRejection,
} from '../domain/usage-event';
import { BatchOutboxRow, dedupKey, UsageEventRepository } from '../infrastructure/persistence/usage-event.repository';
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

const CONFLICT_MESSAGE = 'this idempotencyKey was already used for an event with other content (meter, quantity, timestamp or properties)';

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
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async ingest(events: UsageEventInput[], caller: IngestCaller): Promise<IngestResult> {
    if (!Array.isArray(events)) throw new TypeError('events must be an array');
    if (events.length > MAX_EVENTS_PER_BATCH) throw new RangeError(`at most ${MAX_EVENTS_PER_BATCH} events per call`);
    const now = this.clock.now();
    const raw: unknown[] = events;
    const tenantIds = new Set<string>();
    const meterKeys = new Set<string>();
    for (const e of raw) {
      if (e === null || typeof e !== 'object') continue;
      const { tenantId, meter } = e as Record<string, unknown>;
      if (typeof tenantId === 'string') tenantIds.add(tenantId);
      if (typeof meter === 'string') meterKeys.add(meter);
    }
    const [allowed, meters] = await Promise.all([
      this.tenants.permittedIds(this.tx.reader(), [...tenantIds], caller.kind === 'principal' ? caller.principal : null, 'usage:write'),
      this.meters.lookup(meterKeys),
    ]);

    const rejected: UsageRejection[] = [];
    const checked: CheckedUsageEvent[] = [];
    const ctx = { now, tenantAllowed: (id: string) => allowed.has(id), meter: (key: string) => meters.get(key) };
    for (let index = 0; index < raw.length; index++) {
      const result = checkUsageEvent(raw[index], index, ctx);
      if (isRejection(result)) rejected.push(result);
      else checked.push(result);
    }

    // One row per key goes to the database: the first of each key; the others are settled below.
    const firsts = new Map<string, CheckedUsageEvent>();
    const unique: CheckedUsageEvent[] = [];
    const copies: CheckedUsageEvent[] = [];
    const months = new Set<number>();
    for (const e of checked) {
      const key = dedupKey(e.tenantId, e.idempotencyKey);
      if (firsts.has(key)) copies.push(e);
      else {
        firsts.set(key, e);
        unique.push(e);
        months.add(e.epochMs - (e.epochMs % 86_400_000));
      }
    }
    await this.partitions.ensureFor(months);

    const outboxRow = usageRecorded(uuidv7(now.getTime()), unique);
    const rolled: string[] = [];
    for (const [key, meter] of meters) if (meter.aggregation === 'sum' || meter.aggregation === 'count') rolled.push(key);
    const lost = await this.withRetries(() => this.events.record(this.tx.reader(), unique, now, outboxRow, rolled));
    const accepted = unique.length - lost.length;
    let duplicates = 0;
    const conflict = (e: CheckedUsageEvent) => rejected.push({ index: e.index, code: USAGE_REJECTIONS.idempotencyConflict, message: CONFLICT_MESSAGE });
    if (lost.length > 0) {
      const losers = lost.map((l) => unique[l.position]);
      // A key committed by a concurrent batch after this one began: its hash is read now.
      const unseen = losers.filter((_, i) => lost[i].hash === null);
      const late = unseen.length > 0 ? await this.events.recordedHashes(this.tx.reader(), unseen) : new Map<string, string>();
      const stored = new Map<string, string>();
      lost.forEach((l, i) => {
        const e = losers[i];
        const key = dedupKey(e.tenantId, e.idempotencyKey);
        const hash = l.hash ?? late.get(key);
        if (hash === undefined) throw new Error(`usage_dedup holds no row for a key that was not recorded (${e.tenantId})`);
        stored.set(key, hash);
        if (hash === e.contentHash) duplicates += 1;
        else conflict(e);
      });
      // copies of a lost key are compared with what the database holds
      for (const e of copies) {
        const key = dedupKey(e.tenantId, e.idempotencyKey);
        const standing = stored.get(key) ?? firsts.get(key)!.contentHash;
        if (standing === e.contentHash) duplicates += 1;
        else conflict(e);
      }
    } else {
      for (const e of copies) {
        if (firsts.get(dedupKey(e.tenantId, e.idempotencyKey))!.contentHash === e.contentHash) duplicates += 1;
        else conflict(e);
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    if (caller.kind === 'trusted' && rejected.length) {
      this.logger.warn({ msg: 'usage events from a trusted source were rejected', source: caller.source, rejected: rejected.length, codes: [...new Set(rejected.map((r) => r.code))] });
    }
    return { accepted, duplicates, rejected };
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
 * The `metering.usage_recorded` row of a batch, written with it when anything was recorded (whatever
 * the number of tenants): `{accepted, from, to, tenants: [{tenantId, meters, from, to}]}` — the
 * batch's tenants with their meters and event-time range, for quota checks now and billing's
 * late-usage rule later. Built from the batch's keys before the database decides which are new:
 * a tenant, meter or time of a re-sent duplicate may be named too (checking or re-rating it again
 * changes nothing); `accepted`, the number recorded, is filled in by the statement.
 */
function usageRecorded(id: string, batch: readonly CheckedUsageEvent[]): BatchOutboxRow {
  const byTenant = new Map<string, { meters: string[]; from: string; to: string }>();
  let from = '';
  let to = '';
  for (const e of batch) {
    const t = byTenant.get(e.tenantId);
    if (!t) byTenant.set(e.tenantId, { meters: [e.meter], from: e.occurredAt, to: e.occurredAt });
    else {
      if (!t.meters.includes(e.meter)) t.meters.push(e.meter);
      if (e.occurredAt < t.from) t.from = e.occurredAt;
      if (e.occurredAt > t.to) t.to = e.occurredAt;
    }
    if (from === '' || e.occurredAt < from) from = e.occurredAt;
    if (e.occurredAt > to) to = e.occurredAt;
  }
  const tenants = [...byTenant.keys()].sort().map((tenantId) => {
    const t = byTenant.get(tenantId)!;
    return { tenantId, meters: t.meters.sort(), from: t.from, to: t.to };
  });
  return { id, type: USAGE_RECORDED, tenantId: tenants.length === 1 ? tenants[0].tenantId : null, payload: { accepted: 0, from, to, tenants } };
}

export const USAGE_RECORDED = 'metering.usage_recorded';
