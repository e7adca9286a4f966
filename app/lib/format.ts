// Numbers, money and dates always go through Intl in the reader's locale. Formatters are costly to
// build (a list page or an email formats hundreds of values), so each distinct one is built once.
import type { Locale } from './i18n.ts';
import { currencyExponent } from './money.ts';

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined;
  if (!f) {
    f = make();
    if (cache.size > 500) cache.clear();
    cache.set(key, f);
  }
  return f;
}

/** Formats an integer amount of minor units (cents, fen, yen) in its currency. */
export function formatMoney(minor: number, currency: string, locale: Locale): string {
  const digits = currencyExponent(currency);
  return cached(
    `m|${locale}|${currency}`,
    () => new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits }),
  ).format(minor / 10 ** digits);
}

export function formatNumber(value: number, locale: Locale, options?: Intl.NumberFormatOptions): string {
  return cached(`n|${locale}|${JSON.stringify(options ?? {})}`, () => new Intl.NumberFormat(locale, options)).format(value);
}

export function formatDateTime(value: Date | string, locale: Locale, timeZone?: string): string {
  return cached(`dt|${locale}|${timeZone ?? ''}`, () => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone })).format(
    new Date(value),
  );
}

export function formatDate(value: Date | string, locale: Locale, timeZone?: string): string {
  return cached(`d|${locale}|${timeZone ?? ''}`, () => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone })).format(new Date(value));
}
