import { monthOf, startOfLocalDate, zonedTime, zoneOffsetMs } from './periods';

describe('periods in a time zone', () => {
  it('a Berlin month starts at local midnight on the 1st (winter: 23:00 UTC the day before)', () => {
    expect(monthOf(new Date('2026-11-23T14:00:00Z'), 'Europe/Berlin')).toEqual({
      from: new Date('2026-10-31T23:00:00Z'), to: new Date('2026-11-30T23:00:00Z'),
    });
  });

  it('a month spanning a DST change has its own offsets at each end', () => {
    expect(monthOf(new Date('2026-10-15T12:00:00Z'), 'Europe/Berlin')).toEqual({
      from: new Date('2026-09-30T22:00:00Z'), to: new Date('2026-10-31T23:00:00Z'),
    });
  });

  it('the first hours of a month in UTC still belong to the previous month in New York', () => {
    expect(monthOf(new Date('2026-12-01T02:00:00Z'), 'America/New_York')).toEqual({
      from: new Date('2026-11-01T04:00:00Z'), to: new Date('2026-12-01T05:00:00Z'),
    });
  });

  it('asked again and again (the last month per zone is kept), the answer follows the instant across month ends', () => {
    const zone = 'Europe/Berlin';
    const november = { from: new Date('2026-10-31T23:00:00Z'), to: new Date('2026-11-30T23:00:00Z') };
    const december = { from: new Date('2026-11-30T23:00:00Z'), to: new Date('2026-12-31T23:00:00Z') };
    expect(monthOf(new Date('2026-11-30T22:59:59.999Z'), zone)).toEqual(november);
    expect(monthOf(new Date('2026-11-30T23:00:00.000Z'), zone)).toEqual(december);
    expect(monthOf(new Date('2026-11-30T22:59:59.999Z'), zone)).toEqual(november);
    expect(monthOf(new Date('2026-10-31T23:00:00.000Z'), zone)).toEqual(november);
    expect(monthOf(new Date('2026-10-31T22:59:59.999Z'), zone)).toEqual({ from: new Date('2026-09-30T22:00:00Z'), to: november.from });
    // the answer is the caller's own: changing it does not change the next one
    const mine = monthOf(new Date('2026-11-15T12:00:00Z'), zone);
    mine.from.setTime(0);
    expect(monthOf(new Date('2026-11-15T12:00:00Z'), zone)).toEqual(november);
  });

  it('December rolls over into the next year', () => {
    expect(monthOf(new Date('2026-12-31T12:00:00Z'), 'UTC')).toEqual({ from: new Date('2026-12-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') });
  });

  it('reads offsets and local midnights', () => {
    expect(zoneOffsetMs(new Date('2026-07-01T00:00:00Z'), 'Europe/Berlin')).toBe(2 * 3600_000);
    expect(zoneOffsetMs(new Date('2026-01-01T00:00:00Z'), 'Asia/Kathmandu')).toBe(5.75 * 3600_000);
    expect(zonedTime(2026, 3, 29, 'Europe/Berlin')).toEqual(new Date('2026-03-28T23:00:00Z'));
    expect(zonedTime(2026, 3, 30, 'Europe/Berlin')).toEqual(new Date('2026-03-29T22:00:00Z'));
    expect(startOfLocalDate('2026-10-25', 'Europe/Berlin')).toEqual(new Date('2026-10-24T22:00:00Z'));
    expect(startOfLocalDate('2026-02-30', 'Europe/Berlin')).toBeNull();
    expect(startOfLocalDate('soon', 'UTC')).toBeNull();
  });
});
