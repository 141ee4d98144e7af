import Decimal from 'decimal.js';

/**
 * Exact decimal arithmetic for quantities (never JS floats): a private decimal.js clone with room
 * for sums of many 38-digit values, printed without exponent.
 */
export const Quantity = Decimal.clone({ precision: 120, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -120, toExpPos: 120 });
export type Quantity = InstanceType<typeof Quantity>;

/** Integer digits plus fraction digits a quantity may have (PostgreSQL numeric stores more; billing needs no more). */
export const MAX_QUANTITY_DIGITS = 38;

const DECIMAL_TEXT = /^\+?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export type QuantityCheck = { ok: true; text: string } | { ok: false; reason: string };

/**
 * A non-negative decimal given as a JSON number or a string, in canonical text ('1.50' and 1.5 are
 * both '1.5'; 1e3 is '1000'). JSON numbers are read through their shortest text, so 0.1 is 0.1;
 * integers beyond 2^53 must be sent as strings to stay exact.
 */
export function parseQuantity(value: unknown): QuantityCheck {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, reason: 'must be a finite number' };
    if (value < 0) return { ok: false, reason: 'must not be negative' };
    text = String(value);
  } else if (typeof value === 'string') {
    if (value.length === 0 || value.length > 100) return { ok: false, reason: 'must be a decimal number such as "1500" or "0.25"' };
    if (value.startsWith('-') && DECIMAL_TEXT.test(value.slice(1))) return { ok: false, reason: 'must not be negative' };
    if (!DECIMAL_TEXT.test(value)) return { ok: false, reason: 'must be a decimal number such as "1500" or "0.25"' };
    text = value;
  } else {
    return { ok: false, reason: 'must be a decimal number or a string holding one' };
  }
  const plain = plainDecimal(text);
  if (plain !== null) return plain;
  const d = new Quantity(text);
  const integerDigits = d.isZero() ? 0 : Math.max(0, d.e + 1);
  if (integerDigits + d.decimalPlaces() > MAX_QUANTITY_DIGITS) {
    return { ok: false, reason: `must have at most ${MAX_QUANTITY_DIGITS} digits` };
  }
  return { ok: true, text: d.toFixed() };
}

const PLAIN = /^\+?(\d*)(?:\.(\d*))?$/;
const TOO_MANY_DIGITS = `must have at most ${MAX_QUANTITY_DIGITS} digits`;

/**
 * The canonical text of a decimal without exponent ('0012.500' is '12.5'), by trimming zeros: the
 * common case, exact without decimal.js. Null for text with an exponent (decimal.js reads those).
 */
function plainDecimal(text: string): QuantityCheck | null {
  const m = PLAIN.exec(text);
  if (!m) return null;
  let integer = m[1];
  let fraction = m[2] ?? '';
  let i = 0;
  while (i < integer.length - 1 && integer.charCodeAt(i) === 48) i++;
  if (i > 0) integer = integer.slice(i);
  let end = fraction.length;
  while (end > 0 && fraction.charCodeAt(end - 1) === 48) end--;
  if (end < fraction.length) fraction = fraction.slice(0, end);
  if (integer === '' || integer === '0') {
    integer = '0';
    if (fraction.length > MAX_QUANTITY_DIGITS) return { ok: false, reason: TOO_MANY_DIGITS };
  } else if (integer.length + fraction.length > MAX_QUANTITY_DIGITS) return { ok: false, reason: TOO_MANY_DIGITS };
  return { ok: true, text: fraction ? `${integer}.${fraction}` : integer };
}

/** Canonical text of a decimal that PostgreSQL returned (trailing zeros dropped). */
export function decimalText(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '0';
  return new Quantity(value).toFixed();
}
