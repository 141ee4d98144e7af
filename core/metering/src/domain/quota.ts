import { Quantity } from './quantity';

export const QUOTA_THRESHOLDS = [80, 100] as const;
export type QuotaThreshold = (typeof QUOTA_THRESHOLDS)[number];
export type LimitKind = 'soft' | 'hard';

export interface QuotaLimits {
  hardLimit: string | null;
  softLimit: string | null;
}

export interface ReachedThreshold {
  limitKind: LimitKind;
  threshold: QuotaThreshold;
  limit: string;
}

/**
 * The thresholds `used` has reached, for the soft and the hard limit: 80 % and 100 % of each.
 * A zero limit is reached by any usage above zero, never by none.
 */
export function reachedThresholds(limits: QuotaLimits, used: string): ReachedThreshold[] {
  const u = new Quantity(used);
  const reached: ReachedThreshold[] = [];
  for (const [limitKind, limit] of [['soft', limits.softLimit], ['hard', limits.hardLimit]] as const) {
    if (limit === null) continue;
    for (const threshold of QUOTA_THRESHOLDS) {
      const mark = new Quantity(limit).times(threshold).div(100);
      if (u.gte(mark) && u.gt(0)) reached.push({ limitKind, threshold, limit });
    }
  }
  return reached;
}
