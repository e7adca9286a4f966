// The margin report (/analytics/margin), from margin_day (over time, by channel, by margin band) and
// order_margin (the orders with the lowest margins), both kept by the refresher (margin-rollups.server.ts).
// What it counts, as the page says:
// - revenue: each order's total less tax (goods after the order's discount, plus the shipping charged), in the base
//   currency at the order's own exchange rate; orders placed in the range and not cancelled; refunds not taken off;
// - goods cost: units × the unit cost recorded on each order line when the order was taken: the offer of the supplier
//   the Reorder flow would buy from (the product's preferred supplier, else the cheapest active offer in the base
//   currency), at that day's exchange rate (purchasing/costs.ts). A line without one (no supplier offered it) adds
//   nothing and is counted as a unit of unknown cost;
// - shipping cost: what each parcel cost us at its carrier rule's rate when it shipped (Settings → Carriers); a parcel
//   of a rule without a rate adds nothing and is counted as a parcel of unknown cost; orders not shipped yet have none;
// - gross margin = revenue − goods cost − shipping cost; margin % = gross margin ÷ revenue.
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ReportRange, resolveRange } from './range.ts';
import { bucketsOf, filterSql } from './reports.server.ts';

const GRANULARITIES = ['day', 'week', 'month'] as const;
export type MarginGranularity = (typeof GRANULARITIES)[number];
/** Margin bands, as margin_day keeps them: -2 no revenue, -1 a loss, 0 for 0–10 % … 5 for 50 % and more. */
export const MARGIN_BANDS = [-2, -1, 0, 1, 2, 3, 4, 5] as const;
/** Orders listed with the lowest margins. */
const WORST = 15;

export const MarginQuery = ReportRange.extend({
  channel: z.string().trim().max(64).optional().catch(undefined),
  warehouse: z.string().trim().max(64).optional().catch(undefined),
  granularity: z.enum(GRANULARITIES).catch('day'),
});
export type MarginQuery = z.infer<typeof MarginQuery>;

export interface MarginFigures {
  orders: number;
  revenue: number;
  goodsCost: number;
  shippingCost: number;
  margin: number;
  /** Margin ÷ revenue; null without revenue. */
  rate: number | null;
  /** Margin per order; null without orders. */
  perOrder: number | null;
  uncostedUnits: number;
  parcels: number;
  uncostedParcels: number;
  /** Orders with a unit or a parcel of unknown cost. */
  incomplete: number;
}

interface Row {
  orders: string | number | null;
  revenue: string | number | null;
  goods: string | number | null;
  shipping: string | number | null;
  uncosted_units: string | number | null;
  parcels: string | number | null;
  uncosted_parcels: string | number | null;
  incomplete: string | number | null;
}

const SUMS = `coalesce(sum(orders), 0) as orders, coalesce(sum(revenue_base_minor), 0) as revenue, coalesce(sum(goods_cost_base_minor), 0) as goods,
  coalesce(sum(shipping_cost_base_minor), 0) as shipping, coalesce(sum(uncosted_units), 0) as uncosted_units, coalesce(sum(parcels), 0) as parcels,
  coalesce(sum(uncosted_parcels), 0) as uncosted_parcels, coalesce(sum(incomplete), 0) as incomplete`;

export function marginFigures(r: Row | undefined): MarginFigures {
  const n = (v: string | number | null | undefined) => Number(v ?? 0);
  const orders = n(r?.orders);
  const revenue = n(r?.revenue);
  const goodsCost = n(r?.goods);
  const shippingCost = n(r?.shipping);
  const margin = revenue - goodsCost - shippingCost;
  return {
    orders,
    revenue,
    goodsCost,
    shippingCost,
    margin,
    rate: revenue > 0 ? margin / revenue : null,
    perOrder: orders ? Math.round(margin / orders) : null,
    uncostedUnits: n(r?.uncosted_units),
    parcels: n(r?.parcels),
    uncostedParcels: n(r?.uncosted_parcels),
    incomplete: n(r?.incomplete),
  };
}

export interface WorstOrder {
  orderId: number;
  number: string;
  channel: string;
  placedAt: string;
  revenue: number;
  goodsCost: number;
  shippingCost: number;
  margin: number;
  rate: number | null;
  incomplete: boolean;
}

export interface MarginReport {
  from: string;
  to: string;
  granularity: MarginGranularity;
  totals: MarginFigures;
  series: ({ bucket: string } & MarginFigures)[];
  previous: { from: string; to: string; totals: MarginFigures; series: ({ bucket: string } & MarginFigures)[] } | null;
  byChannel: ({ channel: string } & MarginFigures)[];
  bands: { band: number; orders: number; revenue: number; margin: number }[];
  worst: WorstOrder[];
}

type ScanRow = Row & { gb: number; gc: number; gd: number; bucket: string | null; channel: string | null; band: number | null };

/** The margin report for whole days [from, to] in the business's time zone, with the period before to compare. */
export async function marginReport(em: EntityManager, q: MarginQuery, todayIso: string): Promise<MarginReport> {
  const { from, to, days, previous } = resolveRange(q, todayIso);
  // Days are drawn for at most 120 days; a longer range is drawn by week.
  const granularity: MarginGranularity = q.granularity === 'day' && days > 120 ? 'week' : q.granularity;
  const f = filterSql({ channel: q.channel, warehouse: q.warehouse }, 'x');
  const scan = (a: string, b: string, breakdowns: boolean) =>
    em.execute<ScanRow[]>(
      `with r as (select to_char(date_trunc(?, day::timestamp), 'YYYY-MM-DD') as bucket, x.* from margin_day x where x.day >= ?::date and x.day <= ?::date${f.sql})
       ${
         breakdowns
           ? `select grouping(bucket) as gb, grouping(channel_id) as gc, grouping(band) as gd, bucket, band,
                     case when grouping(channel_id) = 0 then (select code from channel c where c.id = r.channel_id) end as channel, ${SUMS}
                from r group by grouping sets ((bucket), (channel_id), (band))`
           : `select 0 as gb, 1 as gc, 1 as gd, bucket, null as band, null as channel, ${SUMS} from r group by bucket`
       }`,
      [granularity, a, b, ...f.params],
    );
  const [rows, prevRows, worst] = await Promise.all([
    scan(from, to, true),
    previous ? scan(previous.from, previous.to, false) : Promise.resolve(null),
    em.execute<
      {
        order_id: number;
        number: string;
        channel: string;
        placed_at: Date;
        revenue: string;
        goods: string;
        shipping: string;
        margin: string;
        uncosted_units: number;
        uncosted_parcels: number;
      }[]
    >(
      `select m.order_id, o.number, c.code as channel, m.placed_at, m.revenue_base_minor as revenue, m.goods_cost_base_minor as goods,
              m.shipping_cost_base_minor as shipping, m.margin_base_minor as margin, m.uncosted_units, m.uncosted_parcels
         from (select * from order_margin x where x.day >= ?::date and x.day <= ?::date${f.sql} order by x.margin_base_minor, x.order_id limit ${WORST}) m
         join sales_order o on o.id = m.order_id join channel c on c.id = m.channel_id
        order by m.margin_base_minor, m.order_id`,
      [from, to, ...f.params],
    ),
  ]);
  const seriesOf = (xs: ScanRow[], a: string, b: string) => {
    const found = new Map(xs.filter((r) => Number(r.gb) === 0).map((r) => [r.bucket!, r]));
    return bucketsOf(a, b, granularity).map((bucket) => ({ bucket, ...marginFigures(found.get(bucket)) }));
  };
  const total = (xs: ScanRow[]) =>
    marginFigures(
      xs
        .filter((r) => Number(r.gb) === 0)
        .reduce<Row>(
          (acc, r) => ({
            orders: Number(acc.orders) + Number(r.orders),
            revenue: Number(acc.revenue) + Number(r.revenue),
            goods: Number(acc.goods) + Number(r.goods),
            shipping: Number(acc.shipping) + Number(r.shipping),
            uncosted_units: Number(acc.uncosted_units) + Number(r.uncosted_units),
            parcels: Number(acc.parcels) + Number(r.parcels),
            uncosted_parcels: Number(acc.uncosted_parcels) + Number(r.uncosted_parcels),
            incomplete: Number(acc.incomplete) + Number(r.incomplete),
          }),
          { orders: 0, revenue: 0, goods: 0, shipping: 0, uncosted_units: 0, parcels: 0, uncosted_parcels: 0, incomplete: 0 },
        ),
    );
  return {
    from,
    to,
    granularity,
    totals: total(rows),
    series: seriesOf(rows, from, to),
    previous: previous && prevRows ? { ...previous, totals: total(prevRows), series: seriesOf(prevRows, previous.from, previous.to) } : null,
    byChannel: rows
      .filter((r) => Number(r.gc) === 0)
      .map((r) => ({ channel: r.channel!, ...marginFigures(r) }))
      .sort((a, b) => b.margin - a.margin || a.channel.localeCompare(b.channel)),
    bands: MARGIN_BANDS.map((band) => {
      const r = rows.find((x) => Number(x.gd) === 0 && Number(x.band) === band);
      const m = marginFigures(r);
      return { band, orders: m.orders, revenue: m.revenue, margin: m.margin };
    }),
    worst: worst.map((w) => {
      const revenue = Number(w.revenue);
      const margin = Number(w.margin);
      return {
        orderId: Number(w.order_id),
        number: w.number,
        channel: w.channel,
        placedAt: new Date(w.placed_at).toISOString(),
        revenue,
        goodsCost: Number(w.goods),
        shippingCost: Number(w.shipping),
        margin,
        rate: revenue > 0 ? margin / revenue : null,
        incomplete: Number(w.uncosted_units) > 0 || Number(w.uncosted_parcels) > 0,
      };
    }),
  };
}
