// RFM customer segments from the orders (rules and scoring: rfm.ts). Recency, frequency and monetary
// value are worked out and scored 1–5 by NTILE(5) in one query; money is each order's total converted
// to the base currency at the current rate (fxCte, as lifetime value), cancelled orders never count.
// Nothing is written here: tagging a segment goes through the customers module (tagCustomers).
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Actor } from '../../lib/audit.server.ts';
import { fxCte } from '../customers/queries.server.ts';
import { parseTag, tagCustomers, type BulkTagResult } from '../customers/service.server.ts';
import { LTV_EXCLUDED_STATUSES } from '../customers/tiers.ts';
import { segmentFor, summarise, type RfmScore, type Segment, type SegmentSummary } from './rfm.ts';

const DAY = 86_400_000;
/** Frequency and monetary value look back this many days (of 24 hours, up to the moment asked about). */
export const RFM_WINDOW_DAYS = 365;

export interface RfmCustomer extends RfmScore {
  customerId: number;
  name: string;
  email: string;
  /** Whole days since the last counted order. */
  recencyDays: number;
  /** Counted orders in the last RFM_WINDOW_DAYS days. */
  frequency: number;
  /** Their revenue, minor units of the base currency. */
  monetary: number;
  lastOrderAt: string;
  segment: Segment;
}

interface Row {
  id: number;
  name: string;
  email: string;
  last_order_at: Date | string;
  recency_days: number;
  frequency: string;
  monetary: string;
  r: number;
  f: number;
  m: number;
}

const COUNTED = `o.status not in (${LTV_EXCLUDED_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/**
 * Every customer with a counted order placed by `asOf` (default now), with R/F/M figures, scores and
 * segment, sorted by revenue (highest first), then id.
 */
export async function rfmCustomers(em: EntityManager, opts: { base: string; asOf?: Date }): Promise<RfmCustomer[]> {
  const asOf = opts.asOf ?? new Date();
  const since = new Date(asOf.getTime() - RFM_WINDOW_DAYS * DAY);
  const fx = fxCte(opts.base);
  const rows = await em.execute<Row[]>(
    `with ${fx.sql},
     figures as (
       select o.customer_id as id,
              max(o.placed_at) as last_order_at,
              floor(extract(epoch from (?::timestamptz - max(o.placed_at))) / 86400)::int as recency_days,
              count(*) filter (where o.placed_at > ?::timestamptz) as frequency,
              coalesce(round(sum(o.total_minor * fx.factor) filter (where o.placed_at > ?::timestamptz)), 0) as monetary
         from sales_order o left join fx on fx.currency = o.currency
        where ${COUNTED} and o.placed_at <= ?
        group by o.customer_id
     )
     select f.id, c.name, c.email, f.last_order_at, f.recency_days, f.frequency, f.monetary,
            ntile(5) over (order by f.recency_days desc, f.id) as r,
            ntile(5) over (order by f.frequency, f.id) as f,
            ntile(5) over (order by f.monetary, f.id) as m
       from figures f join customer c on c.id = f.id
      order by f.monetary desc, f.id`,
    [...fx.params, asOf, since, since, asOf],
  );
  return rows.map((row) => {
    const score = { r: Number(row.r), f: Number(row.f), m: Number(row.m) };
    return {
      customerId: Number(row.id),
      name: row.name,
      email: row.email,
      recencyDays: Number(row.recency_days),
      frequency: Number(row.frequency),
      monetary: Number(row.monetary),
      lastOrderAt: new Date(row.last_order_at).toISOString(),
      ...score,
      segment: segmentFor(score),
    };
  });
}

export interface SegmentReport {
  asOf: string;
  baseCurrency: string;
  windowDays: number;
  totalCustomers: number;
  segments: SegmentSummary[];
}

/** The segments' sizes, revenue and average order, with every customer's scores. */
export async function segmentReport(em: EntityManager, opts: { base: string; asOf?: Date }): Promise<SegmentReport & { customers: RfmCustomer[] }> {
  const asOf = opts.asOf ?? new Date();
  const customers = await rfmCustomers(em, { base: opts.base, asOf });
  return {
    asOf: asOf.toISOString(),
    baseCurrency: opts.base,
    windowDays: RFM_WINDOW_DAYS,
    totalCustomers: customers.length,
    segments: summarise(customers),
    customers,
  };
}

/** The customers of one segment (revenue first). */
export async function segmentCustomers(em: EntityManager, segment: Segment, opts: { base: string; asOf?: Date }): Promise<RfmCustomer[]> {
  return (await rfmCustomers(em, opts)).filter((c) => c.segment === segment);
}

/**
 * Adds `tag` to every customer now in `segment` (for a campaign), through the customers module: a bad
 * tag is refused with 422 before anything is read or written; the change is audited in its transaction.
 */
export async function tagSegment(
  orm: MikroORM,
  segment: Segment,
  tag: unknown,
  actor: Actor,
  opts: { base: string; asOf?: Date },
): Promise<BulkTagResult & { segment: Segment }> {
  const valid = parseTag(tag);
  const members = await segmentCustomers(orm.em.fork(), segment, opts);
  const result = await tagCustomers(
    orm,
    members.map((c) => c.customerId),
    valid,
    actor,
    { reason: `segment:${segment}` },
  );
  return { ...result, segment };
}
