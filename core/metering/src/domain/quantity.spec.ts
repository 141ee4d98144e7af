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
});
