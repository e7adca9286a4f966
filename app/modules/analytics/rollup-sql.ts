// SQL shared by the rollups (sales, fulfilment, facets): what an order counts as, and the time buckets a
// set of marked minutes falls in.

/** Revenue of an order in the base currency: its own figure, or (orders from before it was kept) the current rate. */
export const BASE_TOTAL = 'coalesce(o.total_base_minor, round(o.total_minor * fx.factor))';
export const BASE_DISCOUNT = 'round(o.discount_minor * coalesce(o.total_base_minor::numeric / nullif(o.total_minor, 0), fx.factor))';
/** The rollup's country of an order: the shipping address's ISO code, `--` when it has none. */
export const COUNTRY = `coalesce(nullif(upper(left(o.shipping_address ->> 'country', 2)), ''), '--')`;

/** A timestamptz[] literal. */
export const timestamps = (ds: Date[]) => `{${ds.map((d) => `"${d.toISOString()}"`).join(',')}}`;

/** The hours (timestamptz[] literal) these minutes fall in. */
export const hoursOf = (minutes: Date[]) =>
  timestamps([...new Set(minutes.map((m) => Math.floor(m.getTime() / 3_600_000) * 3_600_000))].map((t) => new Date(t)));

/** The business days (date[] literal) these minutes fall in, in `timeZone`. */
export const daysOf = (minutes: Date[], timeZone: string) =>
  `{${[...new Set(minutes.map((m) => new Intl.DateTimeFormat('en-CA', { timeZone }).format(m)))].join(',')}}`;

/**
 * The key a cancellation's reason is counted under: the text as given, trimmed, with every run of digits
 * folded to `#` (so "ticket macro run 812" and "… 907" are one reason), at most 200 characters; '' when
 * none was given. The orders list's `cancelReason` filter matches the same expression.
 */
export const cancelKey = (column: string) => `left(regexp_replace(btrim(coalesce(${column}, '')), '[0-9]+', '#', 'g'), 200)`;
