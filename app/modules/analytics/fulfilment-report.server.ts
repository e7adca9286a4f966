// The fulfilment report (/analytics/fulfilment): of the orders placed in a range of days, how long they
// took (received → shipped → delivered: p50, p90 and the histogram, from the rollup's bucket counts), how
// many left or arrived after their promised date, and what went wrong (holds by reason, payment failures,
// cancellations by reason) — over time, by channel and by warehouse, against the period just before.
// Read from fulfil_day / fulfil_month and ops_facet_day / ops_facet_month only (ops-rollups.server.ts). No money:
// warehouse staff read it.
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ReportRange, resolveRange, spans } from './range.ts';
import { bucketsOf, filterSql, ReportFilters } from './reports.server.ts';
import { bucketColumns, percentile, STAGES, type Stage } from './histogram.ts';
import { FULFIL_COLUMNS } from './ops-rollups.server.ts';

const OPS_GRANULARITIES = ['day', 'week', 'month'] as const;
export type OpsGranularity = (typeof OPS_GRANULARITIES)[number];

/** The query string of the fulfilment and returns reports: range, compare, filters, grouping of the series. */
export const OpsReportQuery = ReportFilters.merge(ReportRange).extend({
  granularity: z.enum(OPS_GRANULARITIES).catch('day'),
});
export type OpsReportQuery = z.infer<typeof OpsReportQuery>;

export interface FulfilFigures {
  orders: number;
  cancelled: number;
  shipped: number;
  shipPromised: number;
  shipLate: number;
  delivered: number;
  deliverPromised: number;
  deliverLate: number;
  held: number;
  payFailed: number;
  /** Orders per bucket of hours, per stage (histogram.ts). */
  hist: Record<Stage, number[]>;
  /** Percentiles in hours from the histograms (null with nothing timed). */
  p50: Record<Stage, number | null>;
  p90: Record<Stage, number | null>;
  /** Shares (null when the denominator is 0): late of those with a promise; held, payment failed and cancelled of all orders. */
  shipLateRate: number | null;
  deliverLateRate: number | null;
  heldRate: number | null;
  payFailedRate: number | null;
  cancelledRate: number | null;
}

type Row = Record<string, string | number | null>;

export const ratio = (n: number, d: number) => (d > 0 ? n / d : null);

/** A rollup row (sums) as figures. */
export function fulfilFigures(r: Row | undefined): FulfilFigures {
  const n = (k: string) => Number(r?.[k] ?? 0);
  const hist = Object.fromEntries(STAGES.map((s) => [s, bucketColumns(s).map(n)])) as Record<Stage, number[]>;
  const pct = (p: number) => Object.fromEntries(STAGES.map((s) => [s, percentile(hist[s], p)])) as Record<Stage, number | null>;
  const orders = n('orders');
  return {
    orders,
    cancelled: n('cancelled'),
    shipped: n('shipped'),
    shipPromised: n('ship_promised'),
    shipLate: n('ship_late'),
    delivered: n('delivered'),
    deliverPromised: n('deliver_promised'),
    deliverLate: n('deliver_late'),
    held: n('held'),
    payFailed: n('pay_failed'),
    hist,
    p50: pct(0.5),
    p90: pct(0.9),
    shipLateRate: ratio(n('ship_late'), n('ship_promised')),
    deliverLateRate: ratio(n('deliver_late'), n('deliver_promised')),
    heldRate: ratio(n('held'), orders),
    payFailedRate: ratio(n('pay_failed'), orders),
    cancelledRate: ratio(n('cancelled'), orders),
  };
}

/** A scan's breakdown columns: which grouping a row is of, and its channel's and warehouse's codes (none without breakdowns). */
export const BREAKDOWN_COLUMNS = `grouping(channel_id) as gc, grouping(warehouse_id) as gw,
  case when grouping(channel_id) = 0 then (select code from channel c where c.id = r.channel_id) end as channel,
  case when grouping(warehouse_id) = 0 then coalesce((select code from warehouse x where x.id = r.warehouse_id), 'none') end as warehouse`;
export const NO_BREAKDOWNS = '1 as gc, 1 as gw, null as channel, null as warehouse';

const SUMS = FULFIL_COLUMNS.map((c) => `coalesce(sum(${c}), 0) as ${c}`).join(', ');
const PARTIAL_SUMS = FULFIL_COLUMNS.map((c) => `sum(d.${c})::int as ${c}`).join(', ');

export interface FulfilPoint extends FulfilFigures {
  /** The bucket's first day (YYYY-MM-DD). */
  bucket: string;
}

export interface FulfilmentReport {
  from: string;
  to: string;
  granularity: OpsGranularity;
  series: FulfilPoint[];
  totals: FulfilFigures;
  previous: { from: string; to: string; series: FulfilPoint[]; totals: FulfilFigures } | null;
  byChannel: ({ channel: string } & FulfilFigures)[];
  byWarehouse: ({ warehouse: string } & FulfilFigures)[];
  /** Orders held, by reason (an order held for two reasons counts in both). */
  holds: { reason: string; orders: number }[];
  /** Orders cancelled, by the reason given ('' none). */
  cancels: { reason: string; orders: number }[];
  /** Orders and those with a failed payment attempt, by payment method. */
  paymentFailures: { method: string; orders: number; failed: number }[];
}

/**
 * One scan of fulfil_day for [from, to]: per bucket, the total, and with `breakdowns` per channel and per
 * warehouse. The days' rows are first summed per bucket × channel × warehouse (one pass), and the grouping
 * sets run over those few rows: four sets straight over every day row would sum each of its 64 columns four times.
 */
async function scan(em: EntityManager, from: string, to: string, g: OpsGranularity, f: ReportFilters, breakdowns: boolean): Promise<Row[]> {
  const w = filterSql(f, 'd');
  const sets = breakdowns ? '(bucket), (channel_id), (warehouse_id), ()' : '(bucket), ()';
  // By month, whole months are read from their month rows.
  const parts = spans(from, to, g === 'month').map(({ table, from: a, to: b }) => ({
    sql: `select to_char(date_trunc(?, d.${table}::timestamp), 'YYYY-MM-DD') as bucket, d.channel_id, d.warehouse_id, ${PARTIAL_SUMS}
            from fulfil_${table} d where d.${table} >= ?::date and d.${table} <= ?::date${w.sql}
           group by 1, 2, 3`,
    params: [g, a, b, ...w.params],
  }));
  return em.execute<Row[]>(
    `with r as (${parts.map((p) => p.sql).join(' union all ')})
     select grouping(bucket) as gb, ${breakdowns ? BREAKDOWN_COLUMNS : NO_BREAKDOWNS}, bucket, ${SUMS}
       from r group by grouping sets (${sets})`,
    parts.flatMap((p) => p.params),
  );
}

const isTotal = (r: Row) => Number(r.gb) === 1 && Number(r.gc) === 1 && Number(r.gw) === 1;
function seriesOf(rows: Row[], from: string, to: string, g: OpsGranularity): FulfilPoint[] {
  const found = new Map(rows.filter((r) => Number(r.gb) === 0).map((r) => [String(r.bucket), r]));
  return bucketsOf(from, to, g).map((bucket) => ({ bucket, ...fulfilFigures(found.get(bucket)) }));
}

/**
 * Facet sums over [from, to] with the report's filters: whole months from ops_facet_month, the other days from
 * ops_facet_day; without a filter from their totals over channel, warehouse and country (`_total`).
 */
export async function facetSums(em: EntityManager, facets: string[], from: string, to: string, f: ReportFilters, keys?: string[]) {
  const w = filterSql(f, 'd');
  const total = w.sql === '' ? '_total' : '';
  const parts = spans(from, to).map(({ table, from: a, to: b }) => ({
    sql: `select d.facet, d.key, d.orders, d.units, d.amount_base_minor, d.failed
            from ops_facet_${table}${total} d where d.facet = any(?::text[]) and d.${table} >= ?::date and d.${table} <= ?::date${keys ? ' and d.key in (?)' : ''}${w.sql}`,
    params: [`{${facets.join(',')}}`, a, b, ...(keys ? [keys] : []), ...w.params],
  }));
  const rows = await em.execute<{ facet: string; key: string; orders: string; units: string; amount: string; failed: string }[]>(
    `select facet, key, sum(orders) as orders, sum(units) as units, sum(amount_base_minor) as amount, sum(failed) as failed
       from (${parts.map((p) => p.sql).join(' union all ')}) x
      group by facet, key`,
    parts.flatMap((p) => p.params),
  );
  return rows.map((r) => ({
    facet: r.facet,
    key: r.key,
    orders: Number(r.orders),
    units: Number(r.units),
    amount: Number(r.amount),
    failed: Number(r.failed),
  }));
}

export async function fulfilmentReport(em: EntityManager, q: OpsReportQuery, todayIso: string): Promise<FulfilmentReport> {
  const { from, to, previous } = resolveRange(q, todayIso);
  const g = q.granularity;
  const f: ReportFilters = { channel: q.channel, warehouse: q.warehouse, country: q.country };
  const [rows, prevRows, facets] = await Promise.all([
    scan(em, from, to, g, f, true),
    previous ? scan(em, previous.from, previous.to, g, f, false) : Promise.resolve(null),
    facetSums(em, ['hold', 'cancel', 'payment'], from, to, f),
  ]);
  const by = (kind: 'gc' | 'gw', key: 'channel' | 'warehouse') =>
    rows
      .filter((r) => Number(r[kind]) === 0)
      .map((r) => ({ key: String(r[key]), ...fulfilFigures(r) }))
      .sort((a, b) => b.orders - a.orders || a.key.localeCompare(b.key));
  const desc = <T extends { orders: number }>(xs: T[], name: (x: T) => string) => xs.sort((a, b) => b.orders - a.orders || name(a).localeCompare(name(b)));
  return {
    from,
    to,
    granularity: g,
    series: seriesOf(rows, from, to, g),
    totals: fulfilFigures(rows.find(isTotal)),
    previous:
      prevRows && previous
        ? { ...previous, series: seriesOf(prevRows, previous.from, previous.to, g), totals: fulfilFigures(prevRows.find((r) => Number(r.gb) === 1)) }
        : null,
    byChannel: by('gc', 'channel').map(({ key, ...r }) => ({ channel: key, ...r })),
    byWarehouse: by('gw', 'warehouse').map(({ key, ...r }) => ({ warehouse: key, ...r })),
    holds: desc(
      facets.filter((x) => x.facet === 'hold').map((x) => ({ reason: x.key, orders: x.orders })),
      (x) => x.reason,
    ),
    cancels: desc(
      facets.filter((x) => x.facet === 'cancel').map((x) => ({ reason: x.key, orders: x.orders })),
      (x) => x.reason,
    ),
    paymentFailures: desc(
      facets.filter((x) => x.facet === 'payment').map((x) => ({ method: x.key, orders: x.orders, failed: x.failed })),
      (x) => x.method,
    ),
  };
}
