// The margin rollups, kept by the same refresher as the sales rollups (rollups.server.ts), from the same dirty
// minutes (an order's minute is marked whenever the order changes, and shipping one changes its status):
// - order_margin: each order placed in a marked minute, recomputed from the order, its lines (the unit cost each
//   recorded at intake) and its shipments (the carrier cost each recorded when it shipped);
// - margin_day: the business days of those minutes, recomputed from their order_margin rows.
// Revenue is the order's total less tax (goods after the discount, plus the shipping charged), in the base
// currency at the order's own rate. Cancelled orders have no row. Returns and refunds are not taken off.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { RollupOptions } from './rollups.server.ts';
import { fxCte } from '../customers/queries.server.ts';
import { daysOf, timestamps } from './rollup-sql.ts';

/** An order's net revenue (sales_order `o`, fx in scope): total less tax at the order's own rate, multiplied first. */
export const NET_REVENUE =
  'round(coalesce((o.total_minor - o.tax_minor)::numeric * o.total_base_minor / nullif(o.total_minor, 0), (o.total_minor - o.tax_minor) * fx.factor, 0))';

/**
 * The margin band of an order row (`m`): -2 no revenue (a replacement sent free), -1 a loss, else its margin %
 * in tens (0: 0–10 %, …, 5: 50 % or more).
 */
export const BAND = `case when m.revenue_base_minor <= 0 then -2 when m.margin_base_minor < 0 then -1
  else least(floor(m.margin_base_minor * 10.0 / m.revenue_base_minor), 5) end`;

/** Recomputes order_margin for the orders placed in these minutes, and margin_day for their business days (in em's transaction). */
export async function recomputeMargins(em: EntityManager, minutes: Date[], { baseCurrency, timeZone }: RollupOptions): Promise<void> {
  if (!minutes.length) return;
  const list = timestamps(minutes);
  // By the minute the row was placed in: an order moved to another minute leaves its old one, which is marked too.
  await em.execute(`delete from order_margin x using unnest(?::timestamptz[]) as d(m) where x.placed_at >= d.m and x.placed_at < d.m + interval '1 minute'`, [
    list,
  ]);
  const fx = fxCte(baseCurrency);
  await em.execute(
    `with ${fx.sql},
     -- The minutes' orders first (materialised): left to itself the planner costs each order's lines and parcels
     -- for every order there is, and only then keeps those of the minutes.
     o as materialized (
       select o.* from unnest(?::timestamptz[]) as d(m)
         join sales_order o on o.placed_at >= d.m and o.placed_at < d.m + interval '1 minute' and o.status <> 'cancelled')
     insert into order_margin (order_id, placed_at, day, channel_id, warehouse_id, revenue_base_minor, goods_cost_base_minor, uncosted_units,
                               shipping_cost_base_minor, parcels, uncosted_parcels, margin_base_minor)
     select o.id, o.placed_at, (o.placed_at at time zone ?)::date, o.channel_id, coalesce(o.warehouse_id, 0), r.revenue, l.cost, l.uncosted, s.cost, s.parcels, s.uncosted,
            r.revenue - l.cost - s.cost
       from o
       left join fx on fx.currency = o.currency
      cross join lateral (select ${NET_REVENUE} as revenue) r
      cross join lateral (
        select coalesce(sum(quantity * unit_cost_base_minor), 0) as cost, coalesce(sum(quantity) filter (where unit_cost_base_minor is null), 0) as uncosted
          from order_line where order_id = o.id) l
      cross join lateral (
        select coalesce(sum(shipping_cost_base_minor), 0) as cost, count(*) as parcels, count(*) filter (where shipping_cost_base_minor is null) as uncosted
          from shipment where order_id = o.id) s`,
    [...fx.params, list, timeZone],
  );
  const days = daysOf(minutes, timeZone);
  await em.execute('delete from margin_day where day = any(?::date[])', [days]);
  await em.execute(
    `insert into margin_day (day, channel_id, warehouse_id, band, orders, revenue_base_minor, goods_cost_base_minor, uncosted_units,
                             shipping_cost_base_minor, parcels, uncosted_parcels, incomplete)
     select m.day, m.channel_id, m.warehouse_id, ${BAND}, count(*), sum(m.revenue_base_minor), sum(m.goods_cost_base_minor), sum(m.uncosted_units),
            sum(m.shipping_cost_base_minor), sum(m.parcels), sum(m.uncosted_parcels), count(*) filter (where m.uncosted_units > 0 or m.uncosted_parcels > 0)
       from order_margin m
      where m.day = any(?::date[])
      group by 1, 2, 3, 4`,
    [days],
  );
}

/** The margin rollups (emptied for a rebuild; the refresher then fills them from every marked minute). */
export const MARGIN_TABLES = ['order_margin', 'margin_day'];
