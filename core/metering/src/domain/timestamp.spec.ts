import { parseTimestamp } from './timestamp';

describe('timestamps', () => {
  test.each([
    ['2026-11-23T14:05:00Z', '2026-11-23T14:05:00.000000Z'],
    ['2026-11-23T15:05:00+01:00', '2026-11-23T14:05:00.000000Z'],
    ['2026-11-23T09:05:00-05:00', '2026-11-23T14:05:00.000000Z'],
    ['2026-11-23T14:05:00.5Z', '2026-11-23T14:05:00.500000Z'],
    ['2026-11-23T14:05:00.123456789Z', '2026-11-23T14:05:00.123456Z'],
    ['2026-11-23t14:05:00z', '2026-11-23T14:05:00.000000Z'],
    ['2026-11-23T00:30:00+0100', '2026-11-22T23:30:00.000000Z'],
    ['2028-02-29T12:00:00Z', '2028-02-29T12:00:00.000000Z'],
    ['2000-02-29T12:00:00.1234567Z', '2000-02-29T12:00:00.123456Z'],
    ['2026-12-31T23:59:59.999999999Z', '2026-12-31T23:59:59.999999Z'],
    ['1969-12-31T23:59:59.5Z', '1969-12-31T23:59:59.500000Z'],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000000Z'],
  ])('%s is the instant %s', (input, text) => {
    expect(parseTimestamp(input)?.text).toBe(text);
  });

  it('gives the same canonical text for the same instant in any offset', () => {
    const a = parseTimestamp('2026-03-29T03:30:00+02:00')!;
    const b = parseTimestamp('2026-03-29T01:30:00Z')!;
    expect(a).toEqual(b);
    expect(a.epochMs).toBe(Date.parse('2026-03-29T01:30:00Z'));
  });

  it('reads the UTC form the same way as any other offset, to the microsecond', () => {
    for (let i = 0; i < 2000; i++) {
      const ms = Date.UTC(2026, 0, 1) + i * 7_919_993_377;
      const micros = (i * 37) % 1000;
      const iso = new Date(ms).toISOString();
      const utc = `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
      const shifted = new Date(ms + 3_600_000).toISOString();
      const offset = `${shifted.slice(0, 23)}${String(micros).padStart(3, '0')}+01:00`;
      expect(parseTimestamp(utc)).toEqual({ epochMs: ms, micros, text: utc });
      expect(parseTimestamp(offset)).toEqual(parseTimestamp(utc));
    }
  });

  test.each([
    '2026-02-29T00:00:00Z',
    '2100-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-11-23T14:05:00.Z',
    '2026-11-23T14:05:00.1234567890Z',
    '2026-11-23T14:05:0aZ',
    '2026-11-23T14:05:00', // no offset
    '2026-11-23 14:05:00Z',
    '2026-11-23',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-23T24:00:00Z',
    '2026-11-23T14:60:00Z',
    '2026-11-23T14:05:60Z',
    '2026-11-23T14:05:00+25:00',
    '1700000000',
    'yesterday',
    '',
  ])('%j is refused', (input) => {
    expect(parseTimestamp(input)).toBeNull();
  });

  test.each([1700000000000, null, undefined, {}, ['2026-11-23T14:05:00Z']])('a non-string %j is refused', (input) => {
    expect(parseTimestamp(input)).toBeNull();
  });
});
