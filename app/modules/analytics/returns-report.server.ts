// The returns report (/analytics/returns): returns opened in a range of days (not rejected or expired), by
// reason, channel, product and resolution (refund or exchange), over time against the period just before.
// The return rate is units returned in the range over units sold in it (orders placed in the range, not
// cancelled), overall and per channel, warehouse, product or day: the usual retail reading, whose returns
// and sales are of the same days (not the same orders). Read from ops_facet_day only
// (app/modules/analytics/ops-rollups.server.ts). No money: warehouse staff read it.
import type { EntityManager } from '@mikro-orm/postgresql';
import { resolveRange } from './range.ts';
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
  facet: string;
  gb: number;
  gc: number;
  gw: number;
  bucket: string | null;
  channel: string | null;
  warehouse: string | null;
  returns: string;
  units: string;
}

/**
 * One scan of the returns (by reason: each return once) and the units sold for [from, to], per bucket, in
 * total, and with `breakdowns` per channel and per warehouse.
 */
async function scan(em: EntityManager, from: string, to: string, g: OpsGranularity, f: ReportFilters, breakdowns: boolean): Promise<ScanRow[]> {
  const w = filterSql(f, 'd');
  const sets = breakdowns ? '(facet, bucket), (facet, channel_id), (facet, warehouse_id), (facet)' : '(facet, bucket), (facet)';
  return em.execute<ScanRow[]>(
    `with r as (
       select to_char(date_trunc(?, d.day::timestamp), 'YYYY-MM-DD') as bucket, d.*
         from ops_facet_day d where d.facet in ('return_reason', 'sold') and d.day >= ?::date and d.day <= ?::date${w.sql})
     select facet, grouping(bucket) as gb, ${breakdowns ? BREAKDOWN_COLUMNS : NO_BREAKDOWNS}, bucket, sum(orders) as returns, sum(units) as units
       from r group by grouping sets (${sets})`,
    [g, from, to, ...w.params],
  );
}

/** Returns and sold units of the rows of one grouping, by key. */
function pairs(rows: ScanRow[], pick: (r: ScanRow) => string | null): Map<string, ReturnFigures> {
  const acc = new Map<string, { returns: number; units: number; sold: number }>();
  for (const r of rows) {
    const key = pick(r);
    if (key === null) continue;
    const a = acc.get(key) ?? { returns: 0, units: 0, sold: 0 };
    if (r.facet === 'sold') a.sold += Number(r.units);
    else {
      a.returns += Number(r.returns);
      a.units += Number(r.units);
    }
    acc.set(key, a);
  }
  return new Map([...acc].map(([k, a]) => [k, returnFigures(a.returns, a.units, a.sold)]));
}

const grouped = (rows: ScanRow[], gb: number, gc: number, gw: number) => rows.filter((r) => Number(r.gb) === gb && Number(r.gc) === gc && Number(r.gw) === gw);
const EMPTY = returnFigures(0, 0, 0);

function seriesOf(rows: ScanRow[], from: string, to: string, g: OpsGranularity): ReturnPoint[] {
  const found = pairs(grouped(rows, 0, 1, 1), (r) => r.bucket);
  return bucketsOf(from, to, g).map((bucket) => ({ bucket, ...(found.get(bucket) ?? EMPTY) }));
}
const totalOf = (rows: ScanRow[]) => pairs(grouped(rows, 1, 1, 1), () => '').get('') ?? EMPTY;

export async function returnsReport(em: EntityManager, q: OpsReportQuery, todayIso: string): Promise<ReturnsReport> {
  const { from, to, previous } = resolveRange(q, todayIso);
  const g = q.granularity;
  const f: ReportFilters = { channel: q.channel, warehouse: q.warehouse, country: q.country };
  const [rows, prevRows, facets] = await Promise.all([
    scan(em, from, to, g, f, true),
    previous ? scan(em, previous.from, previous.to, g, f, false) : Promise.resolve(null),
    facetSums(em, ['return_reason', 'return_resolution', 'return_sku', 'sold'], from, to, f),
  ]);
  const totals = totalOf(rows);
  const sorted = <K extends string>(m: Map<string, ReturnFigures>, name: K) =>
    [...m]
      .filter(([, x]) => x.returns > 0 || x.sold > 0)
      .sort(([a, x], [b, y]) => y.units - x.units || y.sold - x.sold || a.localeCompare(b))
      .map(([k, x]) => ({ [name]: k, ...x }) as { [P in K]: string } & ReturnFigures);
  // Reasons and resolutions: their units against all units sold.
  const byKey = (facet: string) => new Map(facets.filter((x) => x.facet === facet).map((x) => [x.key, returnFigures(x.orders, x.units, totals.sold)] as const));
  const sold = new Map(facets.filter((x) => x.facet === 'sold').map((x) => [x.key, x.units]));
  const products = facets
    .filter((x) => x.facet === 'return_sku')
    .map((x) => ({ sku: x.key, ...returnFigures(x.orders, x.units, sold.get(x.key) ?? 0) }))
    .sort((a, b) => b.units - a.units || (b.rate ?? 0) - (a.rate ?? 0) || a.sku.localeCompare(b.sku))
    .slice(0, 50);
  const names = new Map(
    products.length
      ? (await em.execute<{ sku: string; name: string }[]>('select sku, name from product where sku in (?)', [products.map((p) => p.sku)])).map((p) => [
          p.sku,
          p.name,
        ])
      : [],
  );
  return {
    from,
    to,
    granularity: g,
    series: seriesOf(rows, from, to, g),
    totals,
    previous: prevRows && previous ? { ...previous, series: seriesOf(prevRows, previous.from, previous.to, g), totals: totalOf(prevRows) } : null,
    byChannel: sorted(
      pairs(grouped(rows, 1, 0, 1), (r) => r.channel),
      'channel',
    ),
    byWarehouse: sorted(
      pairs(grouped(rows, 1, 1, 0), (r) => r.warehouse),
      'warehouse',
    ),
    byReason: sorted(byKey('return_reason'), 'reason'),
    byResolution: sorted(byKey('return_resolution'), 'resolution'),
    byProduct: products.map((p) => ({ ...p, name: names.get(p.sku) ?? null })),
  };
}
