import { decimalText, parseQuantity, Quantity } from './quantity';

describe('quantities', () => {
  test.each([
    ['1500', '1500'],
    ['1.50', '1.5'],
    [1.5, '1.5'],
    [0.1, '0.1'],
    ['0', '0'],
    [0, '0'],
    ['+7', '7'],
    ['.5', '0.5'],
    ['1e3', '1000'],
    [1e21, '1000000000000000000000'],
    ['0.000001', '0.000001'],
    ['12345678901234567890.123456789012345678', '12345678901234567890.123456789012345678'],
  ])('%j is the decimal %s', (input, text) => {
    expect(parseQuantity(input)).toEqual({ ok: true, text });
  });

  test.each([
    ['-1', 'must not be negative'],
    [-0.5, 'must not be negative'],
    [Number.NaN, 'finite'],
    [Number.POSITIVE_INFINITY, 'finite'],
    ['NaN', 'decimal'],
    ['Infinity', 'decimal'],
    ['1e309', '38 digits'],
    ['1'.repeat(39), '38 digits'],
    ['0.' + '0'.repeat(38) + '1', '38 digits'],
    ['1'.repeat(101), 'decimal'],
    ['', 'decimal'],
    [' 1', 'decimal'],
    ['0x10', 'decimal'],
    ['1,5', 'decimal'],
    [true, 'decimal number or a string'],
    [{}, 'decimal number or a string'],
  ])('%j is refused (%s)', (input, reason) => {
    const result = parseQuantity(input);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(reason);
  });

  it('sums exactly where floats would not', () => {
    let sum = new Quantity(0);
    for (let i = 0; i < 10; i++) sum = sum.plus(parseQuantity('0.1').ok ? '0.1' : '0');
    expect(sum.toFixed()).toBe('1');
    expect(decimalText('1500.000')).toBe('1500');
    expect(decimalText(null)).toBe('0');
  });

  it('reads plain decimals exactly as decimal.js does (the fast path, on many forms)', () => {
    const forms: string[] = [];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const digitsOf = (n: number) => Array.from({ length: n }, () => String(next() % 10)).join('');
    for (let i = 0; i < 3000; i++) {
      const int = digitsOf(next() % 22);
      const frac = next() % 3 === 0 ? '' : `.${digitsOf(next() % 22)}`;
      const text = `${next() % 7 === 0 ? '+' : ''}${int}${frac}`;
      if (/\d/.test(text)) forms.push(text, `00${text.replace('+', '')}`, `${text}${frac ? '' : '.'}000`);
    }
    for (const text of forms) {
      const d = new Quantity(text);
      const digits = (d.isZero() ? 0 : Math.max(0, d.e + 1)) + d.decimalPlaces();
      const expected = digits > 38 ? { ok: false, reason: 'must have at most 38 digits' } : { ok: true, text: d.toFixed() };
      expect([text, parseQuantity(text)]).toEqual([text, expected]);
    }
  });
});
