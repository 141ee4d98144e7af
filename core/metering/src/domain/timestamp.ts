/** ISO 8601 / RFC 3339 date-time with an explicit offset (`Z` or `±hh:mm`), up to nanoseconds. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

export interface ParsedTimestamp {
  /** milliseconds since the epoch (UTC) */
  epochMs: number;
  /** canonical text: UTC, microseconds (PostgreSQL's precision; finer digits are cut) */
  text: string;
  /** microseconds of the instant beyond `epochMs` (0 to 999) */
  micros: number;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Parses a timestamp with offset; null when it is not one or names no real instant (2026-02-30). */
export function parseTimestamp(value: unknown): ParsedTimestamp | null {
  if (typeof value !== 'string' || value.length > 40) return null;
  const fast = parseUtc(value);
  if (fast !== undefined) return fast;
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
  return { epochMs, text, micros: Number(fraction.slice(3, 6)) };
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ZEROS = '000000';

/** The digits value[from, to) as a number, or -1 when one is not a digit. */
function digits(value: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * The common form `YYYY-MM-DDTHH:MM:SS(.f…)Z` (years 1970 to 9999) without a regular expression
 * or Date object: its canonical text is the input with the fraction cut or padded to 6 digits.
 * Undefined for any other form (the general parser decides), null for a date that does not exist.
 */
function parseUtc(value: string): ParsedTimestamp | null | undefined {
  const length = value.length;
  if (length < 20 || value.charCodeAt(length - 1) !== 90 /* Z */ || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45 || value.charCodeAt(10) !== 84 /* T */
    || value.charCodeAt(13) !== 58 || value.charCodeAt(16) !== 58) return undefined;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  const hour = digits(value, 11, 13);
  const minute = digits(value, 14, 16);
  const second = digits(value, 17, 19);
  if (year < 1970 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  let fraction = '';
  if (length > 20) {
    if (value.charCodeAt(19) !== 46 /* . */ || length > 30 || length === 21 || digits(value, 20, length - 1) < 0) return undefined;
    fraction = value.slice(20, length - 1);
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const leap = month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0));
  if (day > DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0)) return null;
  const six = fraction.length >= 6 ? fraction.slice(0, 6) : fraction + ZEROS.slice(fraction.length);
  const epochMs = Date.UTC(year, month - 1, day, hour, minute, second, digits(six, 0, 3));
  return { epochMs, text: `${value.slice(0, 19)}.${six}Z`, micros: digits(six, 3, 6) };
}
