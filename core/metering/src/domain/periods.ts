/** Calendar periods in a time zone (Intl, no dependency): `from` inclusive, `to` exclusive, as instants. */
export interface Period {
  from: Date;
  to: Date;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(at: Date, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, number> = {};
  for (const p of f.formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second };
}

/** The zone's offset from UTC at an instant, in milliseconds (Berlin in summer: +2 h). */
export function zoneOffsetMs(at: Date, timeZone: string): number {
  const w = wallClock(at, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant a local wall-clock time names in `timeZone` (a time skipped by DST moves forward). */
export function zonedTime(year: number, month: number, day: number, timeZone: string, hour = 0, minute = 0): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wall - zoneOffsetMs(new Date(wall), timeZone);
  // A second pass settles the offset when the first guess fell on the other side of a DST change.
  guess = wall - zoneOffsetMs(new Date(guess), timeZone);
  return new Date(guess);
}

/** The month last asked for per zone: the current month is asked for on every usage request. */
const lastMonths = new Map<string, { from: number; to: number }>();

/** The calendar month containing `at`, in `timeZone`. */
export function monthOf(at: Date, timeZone: string): Period {
  const t = at.getTime();
  const last = lastMonths.get(timeZone);
  if (last && t >= last.from && t < last.to) return { from: new Date(last.from), to: new Date(last.to) };
  const w = wallClock(at, timeZone);
  const next = w.month === 12 ? { year: w.year + 1, month: 1 } : { year: w.year, month: w.month + 1 };
  const period = { from: zonedTime(w.year, w.month, 1, timeZone), to: zonedTime(next.year, next.month, 1, timeZone) };
  if (lastMonths.size >= 1000) lastMonths.clear();
  lastMonths.set(timeZone, { from: period.from.getTime(), to: period.to.getTime() });
  return period;
}

/** Local midnight starting the calendar date `yyyy-mm-dd` in `timeZone`. */
export function startOfLocalDate(date: string, timeZone: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  return zonedTime(year, month, day, timeZone);
}
