// What the dashboards and the analytics reports show. Sales figures come from the rollups (sales_hour for
// whole hours, sales_minute for the edges of a range), never from scanning orders; the live state of the
// business (what waits, what is late, what is low) from the indexed base tables. Every range is in the
// business's time zone (BUSINESS_TIME_ZONE) and every amount in the base currency.
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { addDays, daysBetween, ReportRange, resolveRange } from './range.ts';

const GRANULARITIES = ['hour', 'day', 'week', 'month'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

/** Sales figures of a range or a bucket, all amounts in base-currency minor units. */
export interface SalesFigures {
  orders: number;
  cancelled: number;
  units: number;
  revenue: number;
  discount: number;
  /** Revenue per order not cancelled (0 with none). */
  aov: number;
  held: number;
  shipped: number;
  shippedLate: number;
  /** Placed → first shipment, summed over the shipped ones (seconds), and their mean in hours (null with none). */
  shipSeconds: number;
  shipHours: number | null;
}

interface FigureRow {
  orders: string | number | null;
  cancelled: string | number | null;
  units: string | number | null;
  revenue: string | number | null;
  discount: string | number | null;
  held: string | number | null;
  shipped: string | number | null;
  shipped_late: string | number | null;
  ship_seconds: string | number | null;
}

const SUMS = `coalesce(sum(orders), 0) as orders, coalesce(sum(cancelled), 0) as cancelled, coalesce(sum(units), 0) as units,
  coalesce(sum(revenue_base_minor), 0) as revenue, coalesce(sum(discount_base_minor), 0) as discount, coalesce(sum(held), 0) as held,
  coalesce(sum(shipped), 0) as shipped, coalesce(sum(shipped_late), 0) as shipped_late, coalesce(sum(ship_seconds), 0) as ship_seconds`;

export function figures(r: FigureRow | undefined): SalesFigures {
  const n = (v: string | number | null | undefined) => Number(v ?? 0);
  const orders = n(r?.orders);
  const cancelled = n(r?.cancelled);
  const revenue = n(r?.revenue);
  const shipped = n(r?.shipped);
  return {
    orders,
    cancelled,
    units: n(r?.units),
    revenue,
    discount: n(r?.discount),
    aov: orders - cancelled > 0 ? Math.round(revenue / (orders - cancelled)) : 0,
    held: n(r?.held),
    shipped,
    shippedLate: n(r?.shipped_late),
    shipSeconds: n(r?.ship_seconds),
    shipHours: shipped ? Math.round((n(r?.ship_seconds) / shipped / 3600) * 10) / 10 : null,
  };
}

/** Report filters, as the analytics page's query string gives them (codes; empty means all). */
export const ReportFilters = z.object({
  channel: z.string().trim().max(64).optional().catch(undefined),
  warehouse: z.string().trim().max(64).optional().catch(undefined),
  country: z
    .string()
    .trim()
    .regex(/^[A-Za-z-]{2}$/)
    .transform((c) => c.toUpperCase())
    .optional()
    .catch(undefined),
});
export type ReportFilters = z.infer<typeof ReportFilters>;

/** The rollup rows' filter for `alias` (channel and warehouse by code; warehouse `none`: not routed to one). */
export function filterSql(f: ReportFilters, alias: string): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.channel) {
    where.push(`${alias}.channel_id = (select id from channel where code = ?)`);
    params.push(f.channel);
  }
  if (f.warehouse) {
    if (f.warehouse === 'none') where.push(`${alias}.warehouse_id = 0`);
    else {
      where.push(`${alias}.warehouse_id = (select id from warehouse where code = ?)`);
      params.push(f.warehouse);
    }
  }
  if (f.country) {
    where.push(`${alias}.country = ?`);
    params.push(f.country);
  }
  return { sql: where.map((w) => ` and ${w}`).join(''), params };
}

/**
 * Sales of orders placed in [from, to): whole hours from sales_hour, the minutes at either edge from
 * sales_minute. Exact to the minute (the current minute counts what has been rolled up of it).
 */
export async function salesBetween(em: EntityManager, from: Date, to: Date, f: ReportFilters = {}): Promise<SalesFigures> {
  if (to <= from) return figures(undefined);
  const hourStart = new Date(Math.ceil(from.getTime() / 3_600_000) * 3_600_000);
  const hourEnd = new Date(Math.floor(to.getTime() / 3_600_000) * 3_600_000);
  const h = filterSql(f, 'h');
  const m = filterSql(f, 'm');
  const wholeHours = hourEnd > hourStart;
  // Edges: [from, hourStart) and [hourEnd, to) by minute; or all of [from, to) when no whole hour is inside.
  const edges = wholeHours ? `(m.minute >= ? and m.minute < ?) or (m.minute >= ? and m.minute < ?)` : `(m.minute >= ? and m.minute < ?)`;
  const edgeParams = wholeHours ? [from, hourStart, hourEnd, to] : [from, to];
  const [row] = await em.execute<FigureRow[]>(
    `select ${SUMS} from (
       select orders, cancelled, units, revenue_base_minor, discount_base_minor, held, shipped, shipped_late, ship_seconds
         from sales_hour h where ${wholeHours ? 'h.hour >= ? and h.hour < ?' : 'false'}${h.sql}
       union all
       select orders, cancelled, units, revenue_base_minor, discount_base_minor, held, shipped, shipped_late, ship_seconds
         from sales_minute m where (${edges})${m.sql}) x`,
    [...(wholeHours ? [hourStart, hourEnd] : []), ...h.params, ...edgeParams, ...m.params],
  );
  return figures(row);
}

/** Midnight today in the business's time zone, and now. */
export async function today(em: EntityManager, timeZone: string): Promise<{ midnight: Date; now: Date }> {
  const [r] = await em.execute<{ midnight: Date; now: Date }[]>(`select date_trunc('day', now() at time zone ?) at time zone ? as midnight, now() as now`, [
    timeZone,
    timeZone,
  ]);
  return { midnight: new Date(r.midnight), now: new Date(r.now) };
}

export const ReportQuery = ReportFilters.merge(ReportRange).extend({
  granularity: z.enum(GRANULARITIES).catch('day'),
});
export type ReportQuery = z.infer<typeof ReportQuery>;

export interface SeriesPoint extends SalesFigures {
  /** The bucket's first day (YYYY-MM-DD) or hour (YYYY-MM-DDTHH:00) in the business's time zone. */
  bucket: string;
}

export interface SalesReport {
  from: string;
  to: string;
  granularity: Granularity;
  series: SeriesPoint[];
  totals: SalesFigures;
  /** The same length of time just before, bucket by bucket (aligned by position). */
  previous: { from: string; to: string; series: SeriesPoint[]; totals: SalesFigures } | null;
  byChannel: ({ channel: string } & SalesFigures)[];
  byCountry: ({ country: string } & SalesFigures)[];
  byWarehouse: ({ warehouse: string } & SalesFigures)[];
}

type Row = FigureRow & {
  bucket: string | null;
  channel: string | null;
  country: string | null;
  warehouse: string | null;
  gb: number;
  gc: number;
  gn: number;
  gw: number;
};

/**
 * One scan of the rollup for [from, to] (whole days, inclusive, in the business's time zone): the series by
 * bucket and, with `breakdowns`, the totals by channel, country and warehouse (GROUPING SETS). Days, weeks
 * and months read sales_day; hours read sales_hour (a report of hours spans at most 14 days).
 */
async function scan(em: EntityManager, from: string, to: string, g: Granularity, f: ReportFilters, timeZone: string, breakdowns: boolean): Promise<Row[]> {
  const select = (withBreakdowns: boolean) =>
    withBreakdowns
      ? `select grouping(bucket) as gb, grouping(channel_id) as gc, grouping(country) as gn, grouping(warehouse_id) as gw, bucket,
            case when grouping(channel_id) = 0 then (select code from channel c where c.id = r.channel_id) end as channel,
            case when grouping(country) = 0 then country end as country,
            case when grouping(warehouse_id) = 0 then coalesce((select code from warehouse x where x.id = r.warehouse_id), 'none') end as warehouse,
            ${SUMS}
       from r group by grouping sets ((bucket), (channel_id), (country), (warehouse_id))`
      : `select 0 as gb, 1 as gc, 1 as gn, 1 as gw, bucket, null as channel, null as country, null as warehouse, ${SUMS} from r group by bucket`;
  if (g === 'hour') {
    const w = filterSql(f, 'h');
    const hours = await em.execute<Row[]>(
      `with r as (
         select to_char(date_trunc('hour', h.hour at time zone ?), 'YYYY-MM-DD"T"HH24:00') as bucket, h.*
           from sales_hour h
          where h.hour >= (?::date)::timestamp at time zone ? and h.hour < ((?::date) + 1)::timestamp at time zone ?${w.sql})
       ${select(false)}`,
      [timeZone, from, timeZone, to, timeZone, ...w.params],
    );
    return breakdowns ? [...hours, ...(await scan(em, from, to, 'day', f, timeZone, true)).filter((r) => Number(r.gb) === 1)] : hours;
  }
  const w = filterSql(f, 'd');
  return em.execute<Row[]>(
    `with r as (
       select to_char(date_trunc(?, d.day::timestamp), 'YYYY-MM-DD') as bucket, d.*
         from sales_day d where d.day >= ?::date and d.day <= ?::date${w.sql})
     ${select(breakdowns)}`,
    [g, from, to, ...w.params],
  );
}

/** Every bucket of the range from the scan's rows, empty ones too (a chart with gaps would hide quiet days). */
function seriesOf(rows: Row[], from: string, to: string, g: Granularity): SeriesPoint[] {
  const found = new Map(rows.filter((r) => Number(r.gb) === 0).map((r) => [r.bucket!, r]));
  return bucketsOf(from, to, g).map((bucket) => ({ bucket, ...figures(found.get(bucket)) }));
}

/** The bucket labels of [from, to] (days inclusive), as `series` writes them. */
export function bucketsOf(from: string, to: string, g: Granularity): string[] {
  const out: string[] = [];
  const days = daysBetween(from, to);
  if (g === 'hour') {
    for (let d = 0; d <= days; d++) for (let h = 0; h < 24; h++) out.push(`${addDays(from, d)}T${String(h).padStart(2, '0')}:00`);
    return out;
  }
  const seen = new Set<string>();
  for (let d = 0; d <= days; d++) {
    const day = addDays(from, d);
    const date = new Date(`${day}T00:00:00Z`);
    const key = g === 'day' ? day : g === 'month' ? `${day.slice(0, 7)}-01` : addDays(day, -((date.getUTCDay() + 6) % 7)); // ISO weeks start on Monday (Postgres date_trunc('week'))
    if (!seen.has(key)) {
      seen.add(key);
      out.push(key);
    }
  }
  return out;
}

/** The sales report: the series by bucket, totals, the previous period to compare, and breakdowns. */
export async function salesReport(em: EntityManager, q: ReportQuery, timeZone: string, todayIso: string): Promise<SalesReport> {
  const { from, to, days, previous } = resolveRange(q, todayIso);
  // Hours are drawn for at most 14 days; a longer range falls back to days.
  const granularity: Granularity = q.granularity === 'hour' && days > 14 ? 'day' : q.granularity;
  const f: ReportFilters = { channel: q.channel, warehouse: q.warehouse, country: q.country };
  const [rows, prevRows] = await Promise.all([
    scan(em, from, to, granularity, f, timeZone, true),
    previous ? scan(em, previous.from, previous.to, granularity, f, timeZone, false) : Promise.resolve(null),
  ]);
  const cur = seriesOf(rows, from, to, granularity);
  const prev = prevRows && previous ? seriesOf(prevRows, previous.from, previous.to, granularity) : null;
  const by = (kind: 'gc' | 'gn' | 'gw', key: 'channel' | 'country' | 'warehouse') =>
    rows
      .filter((r) => Number(r[kind]) === 0)
      .map((r) => ({ key: r[key]!, ...figures(r) }))
      .sort((a, b) => b.revenue - a.revenue || a.key.localeCompare(b.key));
  const [byChannel, byCountry, byWarehouse] = [by('gc', 'channel'), by('gn', 'country'), by('gw', 'warehouse')];
  const total = (s: SeriesPoint[]) =>
    figures({
      orders: s.reduce((n, p) => n + p.orders, 0),
      cancelled: s.reduce((n, p) => n + p.cancelled, 0),
      units: s.reduce((n, p) => n + p.units, 0),
      revenue: s.reduce((n, p) => n + p.revenue, 0),
      discount: s.reduce((n, p) => n + p.discount, 0),
      held: s.reduce((n, p) => n + p.held, 0),
      shipped: s.reduce((n, p) => n + p.shipped, 0),
      shipped_late: s.reduce((n, p) => n + p.shippedLate, 0),
      ship_seconds: s.reduce((n, p) => n + p.shipSeconds, 0),
    });
  return {
    from,
    to,
    granularity,
    series: cur,
    totals: total(cur),
    previous: prev && previous ? { ...previous, series: prev, totals: total(prev) } : null,
    byChannel: byChannel.map(({ key, ...r }) => ({ channel: key, ...r })),
    byCountry: byCountry.map(({ key, ...r }) => ({ country: key, ...r })),
    byWarehouse: byWarehouse.map(({ key, ...r }) => ({ warehouse: key, ...r })),
  };
}
