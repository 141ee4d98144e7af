import type { QuotaState, TenantEntitlements } from '@werkbank/metering';
import Decimal from 'decimal.js';

export type QuotaDecision =
  | { allowed: true }
  | { allowed: false; reason: 'suspended'; status: TenantEntitlements['status'] }
  | { allowed: false; reason: 'quota'; meter: string; hardLimit: string; used: string; resetsAt: string };

const ALLOWED: QuotaDecision = { allowed: true };

interface TenantState {
  snapshot?: TenantEntitlements;
  /** when the last read started (successful or not) */
  readAt: number;
  reading?: Promise<void>;
  /** usage this process emitted, per meter, since it started */
  emitted: Map<string, Decimal>;
  /** of that, what metering has answered for (accepted, duplicate or rejected) */
  resolved: Map<string, Decimal>;
  /** `resolved` when the snapshot was read: what it already counts */
  resolvedAtSnapshot: Map<string, Decimal>;
  usedAt: number;
}

const ZERO = new Decimal(0);
const get = (map: Map<string, Decimal>, meter: string): Decimal => map.get(meter) ?? ZERO;

/**
 * Hard quotas without a database round trip per request: each tenant's entitlements are read
 * from metering and renewed in the background every `refreshMs`; between two reads the usage
 * this gateway emitted since the last one is added. A tenant's first request waits for its read;
 * if metering cannot answer, requests pass (quotas fail open: usage is still recorded and billed).
 */
export class QuotaGuard {
  private readonly tenants = new Map<string, TenantState>();
  private lastSweep = 0;

  constructor(
    private readonly read: (tenantId: string) => Promise<TenantEntitlements>,
    private readonly refreshMs: number,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
    /** a tenant's first request waits this long at most for its read */
    private readonly firstReadTimeoutMs = 2000,
  ) {}

  /** Whether `tenantId` may use the meters under `meterPrefix` (e.g. `ollama.`) now. */
  async check(tenantId: string, meterPrefix: string): Promise<QuotaDecision> {
    const now = this.now();
    this.sweep(now);
    const state = this.state(tenantId);
    state.usedAt = now;
    if (!state.snapshot) await this.firstRead(tenantId, state);
    else if (now - state.readAt >= this.refreshMs) state.reading ??= this.refresh(tenantId, state);
    const snapshot = state.snapshot;
    if (!snapshot) return ALLOWED;
    if (snapshot.status !== 'active') return { allowed: false, reason: 'suspended', status: snapshot.status };
    for (const quota of snapshot.quotas) {
      if (quota.hardLimit === null || !quota.meter.startsWith(meterPrefix) || !covers(quota, now)) continue;
      const used = this.estimate(state, quota);
      if (used.greaterThanOrEqualTo(quota.hardLimit)) {
        return { allowed: false, reason: 'quota', meter: quota.meter, hardLimit: quota.hardLimit, used: used.toString(), resetsAt: quota.period.to };
      }
    }
    return ALLOWED;
  }

  /** Usage this gateway emitted (counted against quotas until metering has it). */
  emitted(tenantId: string, meter: string, quantity: string | number): void {
    add(this.state(tenantId).emitted, meter, quantity);
  }

  /** Usage metering has answered for: from the next read on, the snapshot counts it. */
  resolved(tenantId: string, meter: string, quantity: string | number): void {
    add(this.state(tenantId).resolved, meter, quantity);
  }

  private estimate(state: TenantState, quota: QuotaState): Decimal {
    const local = get(state.emitted, quota.meter).minus(get(state.resolvedAtSnapshot, quota.meter));
    return new Decimal(quota.used).plus(Decimal.max(local, ZERO));
  }

  private state(tenantId: string): TenantState {
    let state = this.tenants.get(tenantId);
    if (!state) {
      state = { readAt: -Infinity, emitted: new Map(), resolved: new Map(), resolvedAtSnapshot: new Map(), usedAt: this.now() };
      this.tenants.set(tenantId, state);
    }
    return state;
  }

  private async firstRead(tenantId: string, state: TenantState): Promise<void> {
    // a read started by an earlier request that failed is retried once per refresh interval
    if (!state.reading && this.now() - state.readAt < this.refreshMs) return;
    const reading = (state.reading ??= this.refresh(tenantId, state));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reading, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.firstReadTimeoutMs)))]);
    clearTimeout(timer);
  }

  private async refresh(tenantId: string, state: TenantState): Promise<void> {
    state.readAt = this.now();
    const resolvedBefore = new Map(state.resolved);
    try {
      state.snapshot = await this.read(tenantId);
      state.resolvedAtSnapshot = resolvedBefore;
    } catch (error) {
      this.onError(error);
    } finally {
      state.reading = undefined;
    }
  }

  /** Forgets tenants idle for ten refreshes whose usage metering has fully answered for. */
  private sweep(now: number): void {
    const idle = Math.max(10 * this.refreshMs, 60_000);
    if (now - this.lastSweep < idle) return;
    this.lastSweep = now;
    for (const [tenantId, state] of this.tenants) {
      const settled = [...state.emitted].every(([meter, quantity]) => quantity.equals(get(state.resolved, meter)));
      if (now - state.usedAt > idle && settled && !state.reading) this.tenants.delete(tenantId);
    }
  }
}

function add(map: Map<string, Decimal>, meter: string, quantity: string | number): void {
  let value: Decimal;
  try {
    value = new Decimal(quantity);
  } catch {
    return; // not a number: metering rejects it, so it never counts
  }
  if (value.isFinite()) map.set(meter, get(map, meter).plus(value));
}

function covers(quota: QuotaState, now: number): boolean {
  return Date.parse(quota.period.from) <= now && now < Date.parse(quota.period.to);
}
