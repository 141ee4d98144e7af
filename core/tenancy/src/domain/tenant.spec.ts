import { isTimeZone } from './tenant';

describe('isTimeZone', () => {
  it('takes IANA zones under their current and their former names', () => {
    for (const zone of ['Europe/Berlin', 'UTC', 'Asia/Kathmandu', 'Asia/Katmandu', 'Asia/Kolkata', 'Europe/Kyiv', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5']) {
      expect([zone, isTimeZone(zone)]).toEqual([zone, true]);
    }
  });

  it('refuses what is not a zone: unknown names, offsets, abbreviations, other types', () => {
    for (const value of ['Mars/Olympus_Mons', 'Europe/Berlin ', '+05:45', 'CEST', 'Europe', '', 'Europe/../etc/passwd', 42, null, undefined]) {
      expect([value, isTimeZone(value)]).toEqual([value, false]);
    }
  });
});
