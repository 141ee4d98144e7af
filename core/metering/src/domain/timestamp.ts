/** ISO 8601 / RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`), up to nanoseconds. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

export interface ParsedTimestamp {
  /** milliseconds since the epoch (UTC) */
  epochMs: number;
  /** canonical text: UTC, microseconds (PostgreSQL's precision; finer digits are cut) */
  text: string;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Parses a timestamp with offset; null when it is not one or names no real instant (2026-02-30). */
export function parseTimestamp(value: unknown): ParsedTimestamp | null {
  if (typeof value !== 'string' || value.length > 40) return null;
  const m = DATE_TIME.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number);
  const fraction = (m[7] ?? '').padEnd(9, '0');
  const offsetMinutes = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  if (!m[8] && (Number(m[10]) > 23 || Number(m[11]) > 59)) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  date.setUTCHours(hour, minute, second, Number(fraction.slice(0, 3)));
  const epochMs = date.getTime() - offsetMinutes * 60_000;
  if (!Number.isFinite(epochMs)) return null;
  const utc = new Date(epochMs);
  const y = utc.getUTCFullYear();
  if (y < 1 || y > 9999) return null;
  const text = `${pad(y, 4)}-${pad(utc.getUTCMonth() + 1, 2)}-${pad(utc.getUTCDate(), 2)}T${pad(utc.getUTCHours(), 2)}:${pad(utc.getUTCMinutes(), 2)}:${pad(utc.getUTCSeconds(), 2)}.${pad(utc.getUTCMilliseconds(), 3)}${fraction.slice(3, 6)}Z`;
  return { epochMs, text };
}
