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

/**
 * Converts minor units of `currency` to minor units of `base`, with `ratePerBase` = units of
 * `currency` per one unit of `base` (the ExchangeRate table). Rounds half away from zero.
 */
export function toBaseMinor(minor: number, currency: string, base: string, ratePerBase: number): number {
  if (currency === base) return minor;
  const major = minor / 10 ** currencyExponent(currency) / ratePerBase;
  return Math.round(major * 10 ** currencyExponent(base));
}

/**
 * Converts minor units between two currencies through the base currency, each rate being units
 * of that currency per one unit of base.
 */
export function convertMinor(minor: number, from: string, to: string, fromPerBase: number, toPerBase: number): number {
  if (from === to) return minor;
  const major = (minor / 10 ** currencyExponent(from) / fromPerBase) * toPerBase;
  return Math.round(major * 10 ** currencyExponent(to));
}
