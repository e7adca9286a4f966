import Big from 'big.js';
// Money is integer minor units plus an ISO 4217 currency; Intl knows each currency's exponent.
const exponents = new Map<string, number>();

export function currencyExponent(currency: string): number {
  let e = exponents.get(currency);
  if (e === undefined) {
    e = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    exponents.set(currency, e);
  }
  return e;
}

let known: Set<string> | undefined;

/** An ISO 4217 code this runtime knows (Intl accepts any three letters, so ask for the list). */
export function isCurrency(code: string): boolean {
  known ??= new Set(Intl.supportedValuesOf('currency'));
  return known.has(code);
}

/** Big's rounding mode that rounds half away from zero (-2.5 → -3, 2.5 → 3). */
const HALF_AWAY_FROM_ZERO = 1;

/**
 * `minor` units of `from` in minor units of `to`, at `times / dividedBy` units of `to` per unit of `from`, in exact
 * decimal arithmetic (big.js: no float error, so 1.005 at rate 1 is 101 cents, not 100) and rounded
 * half away from zero. Rates come as numbers or as the decimal text PostgreSQL's numeric gives.
 */
function convert(minor: number, from: string, to: string, times: Big.BigSource, dividedBy: Big.BigSource): number {
  const scale = currencyExponent(to) - currencyExponent(from);
  // One division, last: the only inexact step (to 20 places) comes right before the rounding.
  return Big(minor).times(times).times(Big(10).pow(scale)).div(dividedBy).round(0, HALF_AWAY_FROM_ZERO).toNumber();
}

/**
 * Converts minor units of `currency` to minor units of `base`, with `ratePerBase` = units of
 * `currency` per one unit of `base` (the ExchangeRate table). Rounds half away from zero.
 */
export function toBaseMinor(minor: number, currency: string, base: string, ratePerBase: Big.BigSource): number {
  if (currency === base) return minor;
  return convert(minor, currency, base, 1, ratePerBase);
}

/**
 * Converts minor units between two currencies through the base currency, each rate being units
 * of that currency per one unit of base. Rounded once, at the end.
 */
export function convertMinor(minor: number, from: string, to: string, fromPerBase: Big.BigSource, toPerBase: Big.BigSource): number {
  if (from === to) return minor;
  return convert(minor, from, to, toPerBase, fromPerBase);
}

const MAJOR_TEXT = /^\d{1,15}(?:\.(\d+))?$/;

/**
 * Decimal text in major units as a person types it ("12.50", "12") in minor units of `currency`, exactly
 * (big.js, no float: "0.29" is 29 cents, not 28.999…). Null when it is not a plain non-negative decimal
 * or has more decimals than the currency (¥ takes none), rather than rounding what someone typed.
 */
export function majorToMinor(text: string, currency: string): number | null {
  const t = text.trim();
  const m = MAJOR_TEXT.exec(t);
  const exponent = currencyExponent(currency);
  if (!m || (m[1] ?? '').length > exponent) return null;
  const minor = Big(t).times(Big(10).pow(exponent)).toNumber();
  return Number.isSafeInteger(minor) ? minor : null;
}

/** Minor units as major-unit decimal text with the currency's decimals (1250 USD → "12.50", 1250 JPY → "1250"). */
export function minorToMajor(minor: number, currency: string): string {
  const exponent = currencyExponent(currency);
  return Big(minor).div(Big(10).pow(exponent)).toFixed(exponent);
}

/**
 * Splits `total` minor units in proportion to `weights` (non-negative), so that the parts add up to
 * `total` exactly: each part is its exact share rounded down, and the units left over go one each to
 * the largest remainders (earlier parts first on a tie). All weights zero: split evenly. A negative
 * total is split as its absolute value and negated.
 */
export function allocate(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total)) throw new RangeError(`allocate: ${total} is not a whole number of minor units`);
  if (!weights.length) return [];
  if (weights.some((w) => !(w >= 0) || !Number.isFinite(w))) throw new RangeError('allocate: weights must be finite and non-negative');
  if (total < 0) return allocate(-total, weights).map((x) => (x === 0 ? 0 : -x));
  const ws = weights.every((w) => w === 0) ? weights.map(() => 1) : weights;
  const sum = ws.reduce((a, w) => a.plus(w), Big(0));
  const exact = ws.map((w) => Big(total).times(w).div(sum));
  const parts = exact.map((e) => e.round(0, 0).toNumber()); // 0: round down
  let left = total - parts.reduce((a, p) => a + p, 0);
  const order = exact.map((e, i) => ({ i, rem: e.minus(parts[i]) })).sort((a, b) => b.rem.cmp(a.rem) || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    parts[i]++;
    left--;
  }
  return parts;
}
