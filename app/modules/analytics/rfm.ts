// RFM customer segments, the pure part: how scores become a named segment a marketer understands.
//
// Every customer with at least one counted order (cancelled orders never count) has three figures:
//   R  recency    days since their last counted order (fewer is better),
//   F  frequency  counted orders placed in the last 365 days,
//   M  monetary   revenue of those orders in the base currency (minor units),
// and each figure is scored 1–5 by quintile over all those customers (SQL NTILE(5)): 5 is the best
// fifth (the most recent, the most frequent, the biggest spenders), 1 the worst. Ties are broken by
// customer id, so the same data always gives the same scores (as NTILE, a quintile boundary may
// split customers with equal figures).
//
// The segment is the FIRST rule of SEGMENT_RULES that the scores match; the rules cover every
// combination, ending with "lost".

export const SEGMENTS = ['champions', 'loyal', 'new', 'potential', 'cant_lose', 'at_risk', 'hibernating', 'lost'] as const;
export type Segment = (typeof SEGMENTS)[number];

export interface RfmScore {
  r: number;
  f: number;
  m: number;
}

/** An inclusive range of scores. */
export type ScoreRange = readonly [min: number, max: number];

export interface SegmentRule {
  segment: Segment;
  r: ScoreRange;
  f: ScoreRange;
  m: ScoreRange;
}

const ANY: ScoreRange = [1, 5];

/** The rule table, checked in order; the page shows it as it is. */
export const SEGMENT_RULES: readonly SegmentRule[] = [
  // Bought recently, often and the most.
  { segment: 'champions', r: [4, 5], f: [4, 5], m: [4, 5] },
  // Buy regularly and not long ago.
  { segment: 'loyal', r: [3, 5], f: [3, 5], m: ANY },
  // First order very recently, nothing before it this year.
  { segment: 'new', r: [4, 5], f: [1, 1], m: ANY },
  // Recent, not yet frequent: the ones to win over.
  { segment: 'potential', r: [3, 5], f: [1, 2], m: ANY },
  // Used to buy often and big, but not for a long time.
  { segment: 'cant_lose', r: [1, 2], f: [4, 5], m: [4, 5] },
  // Used to buy regularly, slipping away.
  { segment: 'at_risk', r: [1, 2], f: [3, 5], m: ANY },
  // Few orders, a while ago.
  { segment: 'hibernating', r: [2, 2], f: [1, 2], m: ANY },
  // Few orders, long ago.
  { segment: 'lost', r: [1, 1], f: [1, 2], m: ANY },
];

const within = (score: number, [min, max]: ScoreRange) => score >= min && score <= max;

/** The segment of a customer's scores (each 1–5). */
export function segmentFor(s: RfmScore): Segment {
  for (const rule of SEGMENT_RULES) if (within(s.r, rule.r) && within(s.f, rule.f) && within(s.m, rule.m)) return rule.segment;
  throw new RangeError(`RFM scores out of range: ${s.r}/${s.f}/${s.m}`);
}

export function isSegment(value: unknown): value is Segment {
  return typeof value === 'string' && (SEGMENTS as readonly string[]).includes(value);
}

/**
 * What SQL's NTILE(buckets) gives the rows in the given order: rows split into `buckets` groups as
 * equal as can be, the first (n mod buckets) groups one row larger. Returns each row's group, 1-based.
 */
export function ntile(count: number, buckets: number): number[] {
  const out: number[] = [];
  const small = Math.floor(count / buckets);
  const larger = count % buckets;
  for (let b = 1; b <= buckets; b++) {
    const size = small + (b <= larger ? 1 : 0);
    for (let i = 0; i < size; i++) out.push(b);
  }
  return out;
}

/** A customer's figures, before scoring. */
export interface RfmFigures {
  customerId: number;
  recencyDays: number;
  frequency: number;
  monetary: number;
}

/**
 * Scores 1–5 by quintile, exactly as the SQL does it: R by recency, the oldest first; F by
 * frequency and M by revenue, the lowest first; ties in customer-id order.
 */
export function scoreAll<T extends RfmFigures>(rows: readonly T[]): (T & RfmScore & { segment: Segment })[] {
  const scored = new Map<number, RfmScore>(rows.map((row) => [row.customerId, { r: 0, f: 0, m: 0 }]));
  const by = (key: 'r' | 'f' | 'm', order: (a: T, b: T) => number) => {
    const sorted = [...rows].sort((a, b) => order(a, b) || a.customerId - b.customerId);
    const tiles = ntile(sorted.length, 5);
    sorted.forEach((row, i) => (scored.get(row.customerId)![key] = tiles[i]));
  };
  by('r', (a, b) => b.recencyDays - a.recencyDays);
  by('f', (a, b) => a.frequency - b.frequency);
  by('m', (a, b) => a.monetary - b.monetary);
  return rows.map((row) => {
    const s = scored.get(row.customerId)!;
    return { ...row, ...s, segment: segmentFor(s) };
  });
}

export interface SegmentSummary {
  segment: Segment;
  customers: number;
  /** Revenue of the last 365 days, minor units of the base currency. */
  revenue: number;
  orders: number;
  /** revenue / orders, rounded; 0 without orders. */
  averageOrder: number;
}

/** Size, revenue and average order of every segment (all of SEGMENTS, in their order, empty ones too). */
export function summarise(rows: readonly { segment: Segment; frequency: number; monetary: number }[]): SegmentSummary[] {
  const acc = new Map<Segment, SegmentSummary>(SEGMENTS.map((segment) => [segment, { segment, customers: 0, revenue: 0, orders: 0, averageOrder: 0 }]));
  for (const row of rows) {
    const s = acc.get(row.segment)!;
    s.customers += 1;
    s.revenue += row.monetary;
    s.orders += row.frequency;
  }
  for (const s of acc.values()) s.averageOrder = s.orders ? Math.round(s.revenue / s.orders) : 0;
  return [...acc.values()];
}
