// The returns report (/analytics/returns): returns opened in a range of days (not rejected or expired), by
// reason, channel, product and resolution (refund or exchange), over time against the period just before.
// The return rate is units returned in the range over units sold in it (orders placed in the range, not
// cancelled), overall and per channel, warehouse, product or day: the usual retail reading, whose returns
// and sales are of the same days (not the same orders). Read from ops_facet_day / ops_facet_month and sales_day
// only (app/modules/analytics/ops-rollups.server.ts). No money: warehouse staff read it.
import type { EntityManager } from '@mikro-orm/postgresql';
import { resolveRange, spans } from './range.ts';
import { bucketsOf, filterSql, type ReportFilters } from './reports.server.ts';
import { BREAKDOWN_COLUMNS, facetSums, NO_BREAKDOWNS, ratio, type OpsGranularity, type OpsReportQuery } from './fulfilment-report.server.ts';

export interface ReturnFigures {
  /** Returns (RMAs) opened, and their units. */
  returns: number;
  units: number;
  /** Units sold in orders placed in the same days (not cancelled). */
  sold: number;
  /** units / sold (null with nothing sold). */
  rate: number | null;
}

const returnFigures = (returns: number, units: number, sold: number): ReturnFigures => ({ returns, units, sold, rate: ratio(units, sold) });

export interface ReturnPoint extends ReturnFigures {
  bucket: string;
}

export interface ReturnsReport {
  from: string;
  to: string;
  granularity: OpsGranularity;
  series: ReturnPoint[];
  totals: ReturnFigures;
  previous: { from: string; to: string; series: ReturnPoint[]; totals: ReturnFigures } | null;
  byChannel: ({ channel: string } & ReturnFigures)[];
  byWarehouse: ({ warehouse: string } & ReturnFigures)[];
  /** Returns and units by reason; rate: the reason's units over units sold. */
  byReason: ({ reason: string } & ReturnFigures)[];
  /** Refund or exchange. */
  byResolution: ({ resolution: string } & ReturnFigures)[];
  /** Products returned, most units first (at most 50): their units sold and return rate. */
  byProduct: ({ sku: string; name: string | null } & ReturnFigures)[];
}

interface ScanRow {
  gb: number;
  gc: number;
  gw: number;
  bucket: string | null;
  channel: string | null;
  warehouse: string | null;
  returns: string;
  units: string;
  sold: string;
}

/**
 * One scan for [from, to]: returns and their units (the reason facet: each return once) and units sold (of the
 * orders placed, not cancelled), per bucket, in total, and with `breakdowns` per channel and per warehouse.
 * Both are first summed per bucket × channel × warehouse, then grouped.
 */
async function scan(em: EntityManager, from: string, to: string, g: OpsGranularity, f: ReportFilters, breakdowns: boolean): Promise<ScanRow[]> {
  const w = filterSql(f, 'd');
  const sets = breakdowns ? '(bucket), (channel_id), (warehouse_id), ()' : '(bucket), ()';
  // By month, whole months are read from their month rows: returns from the reason facet, units sold from the
  // payment-method facet (every order not cancelled has one method, so its units summed over the methods are
  // the units sold; a month has a few hundred such rows against thousands of sales_day rows). Days are read
  // from the day rows of returns and from sales_day.
  const parts = spans(from, to, g === 'month').flatMap(({ table, from: a, to: b }) =>
    table === 'month'
      ? [
          {
            sql: `select to_char(date_trunc(?, d.month::timestamp), 'YYYY-MM-DD') as bucket, d.channel_id, d.warehouse_id,
                         (coalesce(sum(d.orders) filter (where d.facet = 'return_reason'), 0))::int as returns,
                         (coalesce(sum(d.units) filter (where d.facet = 'return_reason'), 0))::int as units,
                         (coalesce(sum(d.units) filter (where d.facet = 'payment'), 0))::int as sold
                    from ops_facet_month d where d.facet in ('return_reason', 'payment') and d.month >= ?::date and d.month <= ?::date${w.sql}
                   group by 1, 2, 3`,
            params: [g, a, b, ...w.params],
          },
        ]
      : [
          {
            sql: `select to_char(date_trunc(?, d.day::timestamp), 'YYYY-MM-DD') as bucket, d.channel_id, d.warehouse_id,
                         sum(d.orders)::int as returns, sum(d.units)::int as units, 0 as sold
                    from ops_facet_day d where d.facet = 'return_reason' and d.day >= ?::date and d.day <= ?::date${w.sql}
                   group by 1, 2, 3`,
            params: [g, a, b, ...w.params],
          },
          {
            sql: `select to_char(date_trunc(?, d.day::timestamp), 'YYYY-MM-DD'), d.channel_id, d.warehouse_id, 0, 0, sum(d.units)::int
                    from sales_day d where d.day >= ?::date and d.day <= ?::date${w.sql}
                   group by 1, 2, 3`,
            params: [g, a, b, ...w.params],
          },
        ],
  );
  return em.execute<ScanRow[]>(
    `with r as (${parts.map((p) => p.sql).join(' union all ')})
     select grouping(bucket) as gb, ${breakdowns ? BREAKDOWN_COLUMNS : NO_BREAKDOWNS}, bucket,
            sum(returns) as returns, sum(units) as units, sum(sold) as sold
       from r group by grouping sets (${sets})`,
    parts.flatMap((p) => p.params),
  );
}

const figuresOf = (r: ScanRow | undefined) => (r ? returnFigures(Number(r.returns), Number(r.units), Number(r.sold)) : EMPTY);
const EMPTY = returnFigures(0, 0, 0);

function seriesOf(rows: ScanRow[], from: string, to: string, g: OpsGranularity): ReturnPoint[] {
  const found = new Map(rows.filter((r) => Number(r.gb) === 0).map((r) => [String(r.bucket), r]));
  return bucketsOf(from, to, g).map((bucket) => ({ bucket, ...figuresOf(found.get(bucket)) }));
}
const totalOf = (rows: ScanRow[]) => figuresOf(rows.find((r) => Number(r.gb) === 1 && Number(r.gc) === 1 && Number(r.gw) === 1));

export async function returnsReport(em: EntityManager, q: OpsReportQuery, todayIso: string): Promise<ReturnsReport> {
  const { from, to, previous } = resolveRange(q, todayIso);
  const g = q.granularity;
  const f: ReportFilters = { channel: q.channel, warehouse: q.warehouse, country: q.country };
  const [rows, prevRows, facets] = await Promise.all([
    scan(em, from, to, g, f, true),
    previous ? scan(em, previous.from, previous.to, g, f, false) : Promise.resolve(null),
    facetSums(em, ['return_reason', 'return_resolution', 'return_sku'], from, to, f),
  ]);
  const totals = totalOf(rows);
  const by = <K extends string>(kind: 'gc' | 'gw', key: 'channel' | 'warehouse', name: K) =>
    rows
      .filter((r) => Number(r[kind]) === 0)
      .map((r) => ({ [name]: String(r[key]), ...figuresOf(r) }) as { [P in K]: string } & ReturnFigures)
      .sort((a, b) => b.units - a.units || b.sold - a.sold || a[name].localeCompare(b[name]));
  // Reasons and resolutions: their units against all units sold.
  const byKey = <K extends string>(facet: string, name: K) =>
    facets
      .filter((x) => x.facet === facet)
      .map((x) => ({ [name]: x.key, ...returnFigures(x.orders, x.units, totals.sold) }) as { [P in K]: string } & ReturnFigures)
      .sort((a, b) => b.units - a.units || a[name].localeCompare(b[name]));
  // The products returned most, with their units sold (looked up for those only).
  const returned = facets
    .filter((x) => x.facet === 'return_sku')
    .sort((a, b) => b.units - a.units || a.key.localeCompare(b.key))
    .slice(0, 50);
  const skus = returned.map((x) => x.key);
  const [sold, names] = skus.length
    ? await Promise.all([soldOf(em, skus, from, to, f), namesOf(em, skus)])
    : [new Map<string, number>(), new Map<string, string>()];
  const products = returned
    .map((x) => ({ sku: x.key, name: names.get(x.key) ?? null, ...returnFigures(x.orders, x.units, sold.get(x.key) ?? 0) }))
    .sort((a, b) => b.units - a.units || (b.rate ?? 0) - (a.rate ?? 0) || a.sku.localeCompare(b.sku));
  return {
    from,
    to,
    granularity: g,
    series: seriesOf(rows, from, to, g),
    totals,
    previous: prevRows && previous ? { ...previous, series: seriesOf(prevRows, previous.from, previous.to, g), totals: totalOf(prevRows) } : null,
    byChannel: by('gc', 'channel', 'channel'),
    byWarehouse: by('gw', 'warehouse', 'warehouse'),
    byReason: byKey('return_reason', 'reason'),
    byResolution: byKey('return_resolution', 'resolution'),
    byProduct: products,
  };
}

/** Units sold of these SKUs in [from, to] (facet `sold`). */
async function soldOf(em: EntityManager, skus: string[], from: string, to: string, f: ReportFilters): Promise<Map<string, number>> {
  return new Map((await facetSums(em, ['sold'], from, to, f, skus)).map((r) => [r.key, r.units]));
}

async function namesOf(em: EntityManager, skus: string[]): Promise<Map<string, string>> {
  const rows = await em.execute<{ sku: string; name: string }[]>('select sku, name from product where sku in (?)', [skus]);
  return new Map(rows.map((p) => [p.sku, p.name]));
}
