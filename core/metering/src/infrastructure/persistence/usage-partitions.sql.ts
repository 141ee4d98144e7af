/** Monthly partitions of usage_events (UTC months), named usage_events_pYYYYMM. */
export function monthKey(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The DDL creating the partition of the UTC month `key` (YYYYMM); safe to run twice. */
export function partitionDdl(key: string): string {
  if (!/^\d{6}$/.test(key)) throw new Error(`not a month key: ${key}`);
  const year = Number(key.slice(0, 4));
  const month = Number(key.slice(4));
  const from = new Date(Date.UTC(year, month - 1, 1)).toISOString();
  const to = new Date(Date.UTC(year, month, 1)).toISOString();
  return `CREATE TABLE IF NOT EXISTS usage_events_p${key} PARTITION OF usage_events FOR VALUES FROM ('${from}') TO ('${to}')`;
}

/** Month keys from `before` months before the month of `at` to `after` months after it. */
export function monthsAround(at: Date, before: number, after: number): string[] {
  const keys: string[] = [];
  for (let i = -before; i <= after; i++) keys.push(monthKey(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + i, 1)));
  return keys;
}
