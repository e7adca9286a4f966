// Channel platforms send money as decimal text in major units ("19.90", "20", "-0.00"). This turns
// it into integer minor units by working on the digits, never on a float, so "1.005" is 101 cents
// (half away from zero, as toBaseMinor rounds) and not the 100 that Math.round(1.005 * 100) gives.
import { fieldError } from '../../lib/errors.ts';
import type { FieldError } from '../../lib/problem.ts';
import { currencyExponent } from '../../lib/money.ts';

export type AmountFailure = 'invalid_amount' | 'too_small' | 'too_big';
export type Amount = { ok: true; minor: number } | { ok: false; code: AmountFailure };

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;
// JSON numbers reach us as JS numbers; String() writes very small or large ones in exponent form.
const SCIENTIFIC = /^(-)?(\d+)(?:\.(\d+))?e([+-]?\d+)$/i;

/**
 * `value` (decimal text or a JSON number, in major units) as a non-negative integer count of minor
 * units for a currency with `exponent` decimals. Digits beyond the exponent round half away from zero.
 */
export function toMinorUnits(value: unknown, exponent: number): Amount {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { ok: false, code: 'invalid_amount' };
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    return { ok: false, code: 'invalid_amount' };
  }

  let shift = 0;
  let m = DECIMAL.exec(text);
  if (!m && typeof value === 'number') {
    m = SCIENTIFIC.exec(text);
    if (m) shift = Number(m[4]);
  }
  if (!m) return { ok: false, code: 'invalid_amount' };
  const [, minus, whole, fraction = ''] = m;
  const digits = whole + fraction;
  if (minus && /[1-9]/.test(digits)) return { ok: false, code: 'too_small' };

  // Move the decimal point right by the currency's exponent (and any scientific shift).
  const point = whole.length + shift + exponent;
  let units: string;
  let rest: string;
  if (point <= 0) {
    units = '0';
    rest = '0'.repeat(-point) + digits;
  } else if (point >= digits.length) {
    units = digits + '0'.repeat(point - digits.length);
    rest = '';
  } else {
    units = digits.slice(0, point);
    rest = digits.slice(point);
  }
  const minor = BigInt(units) + (rest !== '' && rest[0] >= '5' ? 1n : 0n);
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, code: 'too_big' };
  return { ok: true, minor: Number(minor) };
}

/** Reads the amounts of one payload in one currency, collecting a field error for each bad one. */
export function amountReader(currency: string) {
  const exponent = currencyExponent(currency);
  const errors: FieldError[] = [];
  const absent = (v: unknown) => v === undefined || v === null || v === '';

  function read(value: unknown, field: string): number {
    const r = toMinorUnits(value, exponent);
    if (r.ok) return r.minor;
    const shown = typeof value === 'string' || typeof value === 'number' ? String(value).slice(0, 40) : typeof value;
    errors.push(
      fieldError(
        field,
        r.code,
        r.code === 'too_small' ? { min: 0, value: shown } : r.code === 'too_big' ? { max: Number.MAX_SAFE_INTEGER, value: shown } : { value: shown },
      ),
    );
    return 0;
  }

  return {
    errors,
    /** An amount the order cannot do without (a line's price). */
    required(value: unknown, field: string): number {
      if (absent(value)) {
        errors.push(fieldError(field, 'required'));
        return 0;
      }
      return read(value, field);
    },
    /** An amount that counts as zero when the platform leaves it out (shipping, tax). */
    optional(value: unknown, field: string): number {
      return absent(value) ? 0 : read(value, field);
    },
  };
}
