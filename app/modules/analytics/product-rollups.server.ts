// The products report's rollups, kept by the same refresher as the sales rollups (rollups.server.ts):
// - product_hour: per hour × product × channel × warehouse, units, revenue and cost, recomputed from the
//   orders placed in each hour a dirty minute falls in; product_day: the business day's hours summed;
//   product_day_total: the day's rows summed over channels and warehouses (what unfiltered reports read);
// - stock_day: on hand at the close of each business day per product × warehouse, written once the day has
//   closed. On hand at the close of day D is on hand now less every ledger movement since D ended: every
//   change to on hand goes through the one stock writer, which records it in the ledger as it happens, so a
//   closed day never changes and a snapshot taken late is the same as one taken at midnight.
// Both are recomputed from base rows, never adjusted by deltas: a redelivered mark or a second refresher
// computes the same rows again, and the rebuild is the same computation for everything there is.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { RollupOptions } from './rollups.server.ts';
import { fxCte } from '../customers/queries.server.ts';
import { daysOf, hoursOf } from './rollup-sql.ts';
import { addDays, todayIn } from './range.ts';

const PRODUCT_FIGURES = 'orders, units, revenue_base_minor, cost_base_minor, uncosted_units';

/**
 * One line's revenue in the base currency at its order's own rate (its total × the order's base total ÷ the
 * order's total, multiplied first so the division is exact to the half cent; orders from before the base
 * total was kept, or of zero total, at the current rate). Rounded once per line, half away from zero.
 */
export const LINE_REVENUE = 'round(coalesce(l.total_minor::numeric * o.total_base_minor / nullif(o.total_minor, 0), l.total_minor * fx.factor))';

/**
 * Each order × product of the orders `orders` selects (a query of `sales_order o` rows; fx in scope), split
 * by the warehouse holding its units: the order's reservations of the product that are not released, and
 * what they do not cover at the order's own warehouse (0: none). Revenue, cost and uncosted units follow the
 * units, in proportion; the order itself counts once (`main`), where most of the product's units are. Columns: order_id, placed_at, channel_id, product_id, warehouse_id, units, revenue,
 * cost, uncosted.
 */
export function orderProductSplitSql(orders: string): string {
  // Each order's lines and reservations by lateral index lookups: the planner cannot tell how few orders a range
  // of minutes or hours holds, and would otherwise hash every line and reservation there is.
  return `picked as materialized (${orders}),
  op as (
    select o.id as order_id, o.placed_at, o.channel_id, coalesce(o.warehouse_id, 0) as own, l.product_id, l.units, l.revenue, l.cost, l.uncosted
      from picked o
      left join fx on fx.currency = o.currency
     cross join lateral (
       select l.product_id, sum(l.quantity) as units, coalesce(sum(${LINE_REVENUE}), 0) as revenue,
              coalesce(sum(l.quantity * l.unit_cost_base_minor), 0) as cost, coalesce(sum(l.quantity) filter (where l.unit_cost_base_minor is null), 0) as uncosted
         from order_line l where l.order_id = o.id
        group by l.product_id) l
  ),
  held as materialized (
    select o.id as order_id, r.product_id, r.warehouse_id, r.q
      from picked o
     cross join lateral (
       select product_id, warehouse_id, sum(quantity) as q from reservation where order_id = o.id and status <> 'released' group by product_id, warehouse_id) r
  ),
  parts as (
    select order_id, product_id, warehouse_id, sum(q) as q,
           -- The order counts once per product: at the warehouse holding most of its units (then the lowest id).
           row_number() over (partition by order_id, product_id order by sum(q) desc, warehouse_id) = 1 as main
      from (select h.order_id, h.product_id, h.warehouse_id, h.q from held h
            union all
            select op.order_id, op.product_id, op.own, op.units - coalesce(t.q, 0)
              from op left join (select order_id, product_id, sum(q) as q from held group by order_id, product_id) t
                on t.order_id = op.order_id and t.product_id = op.product_id) x
     where q > 0
     group by order_id, product_id, warehouse_id
  ),
  split as (
    select op.order_id, op.placed_at, op.channel_id, op.product_id, p.warehouse_id, p.q as units, p.main,
           round(op.revenue * p.q / op.units) as revenue, round(op.cost * p.q / op.units) as cost, round(op.uncosted * p.q / op.units) as uncosted
      from op join parts p on p.order_id = op.order_id and p.product_id = op.product_id
  )`;
}

/** Recomputes product_hour for the hours these minutes fall in, and product_day(_total) for their business days (in em's transaction). */
export async function recomputeProductHours(em: EntityManager, minutes: Date[], { baseCurrency, timeZone }: RollupOptions): Promise<void> {
  if (!minutes.length) return;
  const hours = hoursOf(minutes);
  await em.execute('delete from product_hour where hour = any(?::timestamptz[])', [hours]);
  const fx = fxCte(baseCurrency);
  await em.execute(
    `with ${fx.sql}, ${orderProductSplitSql(
      `select o.* from unnest(?::timestamptz[]) as h(h)
         join sales_order o on o.placed_at >= h.h and o.placed_at < h.h + interval '1 hour' and o.status <> 'cancelled'`,
    )}
     insert into product_hour (hour, product_id, channel_id, warehouse_id, ${PRODUCT_FIGURES})
     select date_trunc('hour', placed_at), product_id, channel_id, warehouse_id,
            count(*) filter (where main), sum(units), sum(revenue), sum(cost), sum(uncosted)
       from split
      group by 1, 2, 3, 4`,
    [...fx.params, hours],
  );
  const days = daysOf(minutes, timeZone);
  await em.execute('delete from product_day where day = any(?::date[])', [days]);
  await em.execute(
    `insert into product_day (day, product_id, channel_id, warehouse_id, ${PRODUCT_FIGURES})
     select d.d, h.product_id, h.channel_id, h.warehouse_id, sum(h.orders), sum(h.units), sum(h.revenue_base_minor), sum(h.cost_base_minor), sum(h.uncosted_units)
       from unnest(?::date[]) as d(d)
       join product_hour h on h.hour >= d.d::timestamp at time zone ? and h.hour < (d.d + 1)::timestamp at time zone ?
      group by d.d, h.product_id, h.channel_id, h.warehouse_id`,
    [days, timeZone, timeZone],
  );
  await em.execute('delete from product_day_total where day = any(?::date[])', [days]);
  await em.execute(
    `insert into product_day_total (day, product_id, ${PRODUCT_FIGURES})
     select day, product_id, sum(orders), sum(units), sum(revenue_base_minor), sum(cost_base_minor), sum(uncosted_units)
       from product_day where day = any(?::date[])
      group by day, product_id`,
    [days],
  );
}

/**
 * Writes stock_day for the closed business days [from, to] (to before today): every level's on hand now, less
 * the ledger's movements since each day ended (one pass: the movements summed per level and day, then added
 * up from the newest day back).
 */
export async function writeStockDays(em: EntityManager, from: string, to: string, timeZone: string): Promise<void> {
  if (to < from) return;
  await em.execute('delete from stock_day where day >= ?::date and day <= ?::date', [from, to]);
  await em.execute(
    `with moves as (
       select product_id, warehouse_id, least((at at time zone ?)::date, ?::date + 1) as day, sum(quantity) as q
         from stock_movement where at >= (?::date + 1)::timestamp at time zone ?
        group by 1, 2, 3),
     grid as (
       select d.d::date as day, l.product_id, l.warehouse_id, l.on_hand, coalesce(m.q, 0) as q
         from inventory_level l
        cross join generate_series(?::date, ?::date + 1, interval '1 day') as d(d)
         left join moves m on m.product_id = l.product_id and m.warehouse_id = l.warehouse_id and m.day = d.d::date)
     insert into stock_day (day, product_id, warehouse_id, on_hand)
     select day, product_id, warehouse_id, on_hand - since
       from (select g.*, coalesce(sum(q) over (partition by product_id, warehouse_id order by day desc rows between unbounded preceding and 1 preceding), 0) as since
               from grid g) x
      where day <= ?::date`,
    // Movements after `to` all count as one day (to + 1): what has happened since `to` closed.
    [timeZone, to, from, timeZone, from, to, to],
  );
}

/**
 * Closes the business days that have ended since the last one written (stock_day), up to yesterday; the first
 * time, every day since the first order or movement. Cheap when there is nothing to close (one index probe).
 */
export async function closeStockDays(em: EntityManager, timeZone: string, today = todayIn(timeZone)): Promise<void> {
  const yesterday = addDays(today, -1);
  const [{ last }] = await em.execute<{ last: string | null }[]>(`select to_char(max(day), 'YYYY-MM-DD') as last from stock_day`);
  if (last && last >= yesterday) return;
  let from = last ? addDays(last, 1) : null;
  if (!from) {
    const [{ first }] = await em.execute<{ first: string | null }[]>(
      `select to_char(least((select min(placed_at) from sales_order), (select min(at) from stock_movement)) at time zone ?, 'YYYY-MM-DD') as first`,
      [timeZone],
    );
    from = first && first < yesterday ? first : yesterday;
  }
  await writeStockDays(em, from, yesterday, timeZone);
}

/** The product and stock rollups (emptied for a rebuild; the refresher then fills them from every marked minute). */
export const PRODUCT_TABLES = ['product_hour', 'product_day', 'product_day_total', 'stock_day'];
