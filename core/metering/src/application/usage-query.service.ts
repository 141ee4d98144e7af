import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock, TransactionRunner, Tx } from '@werkbank/kernel';
import type { Meter } from '../domain/meter';
import { decimalText } from '../domain/quantity';
import { compareItems, GAUGE_LOOKBACK_MS, GroupBy, MeterSpec, UsageItem } from '../domain/usage-query';
import { UsageQueryRepository } from '../infrastructure/persistence/usage-query.repository';
import { MeterCatalog } from './meter-catalog';

export interface UsageRequest {
  /** the tenants whose usage is added up (one tenant, or a subtree) */
  tenantIds: readonly string[];
  /** inclusive */
  from: Date;
  /** exclusive */
  to: Date;
  /** only these meters (default: every meter) */
  meters?: readonly string[];
  groupBy?: GroupBy;
  /** for day and hour buckets */
  timeZone: string;
}

/**
 * The one implementation of "how much was used": the usage API and billing ask it. Each meter is
 * aggregated as its definition says (sum, count, max, unique_count, latest, time_weighted; see
 * docs/metering.md); values are exact decimal strings.
 */
@Injectable()
export class UsageQueryService {
  constructor(
    private readonly repository: UsageQueryRepository,
    private readonly meters: MeterCatalog,
    private readonly tx: TransactionRunner,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async usage(request: UsageRequest, tx: Tx = this.tx.reader()): Promise<UsageItem[]> {
    if (request.tenantIds.length === 0 || request.from >= request.to) return [];
    const all = await this.meters.all();
    const wanted = request.meters ? all.filter((m) => request.meters!.includes(m.key)) : all;
    const now = this.clock.now();
    const scope = {
      tenantIds: request.tenantIds, from: request.from, to: request.to, until: new Date(Math.min(request.to.getTime(), now.getTime())),
      timeZone: request.timeZone, groupBy: request.groupBy ?? { kind: 'meter' as const },
    };
    const rows = await this.repository.usage(tx, scope, wanted.map(spec));
    return rows.map((r) => ({ meter: r.meter, group: r.grp, value: decimalText(r.value) })).sort(compareItems);
  }

  /**
   * The current level of gauge meters (latest, time_weighted) per meter: each series' last sample
   * up to now, added up over the series. What a quota on a gauge (e.g. stored bytes) compares with.
   */
  async levels(tenantId: string, meters: readonly string[], tx: Tx = this.tx.reader()): Promise<Map<string, string>> {
    if (meters.length === 0) return new Map();
    const all = await this.meters.all();
    const specs = all.filter((m) => meters.includes(m.key)).map(spec);
    const now = this.clock.now();
    const scope = {
      tenantIds: [tenantId], from: new Date(now.getTime() - GAUGE_LOOKBACK_MS), to: new Date(now.getTime() + 1), until: now,
      timeZone: 'UTC', groupBy: { kind: 'meter' as const },
    };
    const rows = await this.repository.latest(tx, scope, specs);
    return new Map(rows.map((r) => [r.meter, decimalText(r.value)]));
  }
}

function spec(m: Meter): MeterSpec {
  return { key: m.key, aggregation: m.aggregation, valueProperty: m.valueProperty, dimensions: m.dimensions };
}
