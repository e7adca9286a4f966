// The products & stock report (/analytics/products). Sales come from product_day (product_day_total when neither
// channel nor warehouse is chosen), stock history from
// stock_day, both kept by the refresher (product-rollups.server.ts); what is on hand now, and what it is
// worth, from the inventory levels and the purchasing catalogue. Definitions, as the page states them:
// - units and revenue: lines of orders placed in the range and not cancelled; revenue is the line total in
//   the base currency at the order's own rate, before the order's discount, shipping and tax;
// - average on hand: over the range's days, on hand at each day's close (today: now), in the chosen warehouses;
// - turnover: units sold ÷ average on hand (for the range; ×365/days for a year's pace);
// - days of cover: on hand now ÷ units sold per day over the range;
// - stockout rate: the share of SKU-days on which the SKU had nothing on hand at the close of the day (in the
//   chosen warehouses together); "out of stock now": nothing available (on hand − reserved) in any of them;
// - dead stock: on hand now but no sale in the last `idle` days; slow movers: sold, but on hand covers more than
//   SLOW_COVER_DAYS days at the range's pace. Stock value is on hand × today's unit cost (purchasing/costs.ts).
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { currencyExponent } from '../../lib/money.ts';
import { sqlText, unitCostSql } from '../purchasing/costs.ts';
import { addDays, ReportRange, resolveRange } from './range.ts';
import { filterSql } from './reports.server.ts';

/** Stock that covers more than this many days of sales at the range's pace is a slow mover. */
export const SLOW_COVER_DAYS = 90;
/** Products listed at most (by revenue); the page shows the top N, the CSV all of these. */
const MAX_ROWS = 500;
/** Dead and slow products listed at most (by stock value). */
const MAX_IDLE = 25;

export const ProductsQuery = ReportRange.extend({
  channel: z.string().trim().max(64).optional().catch(undefined),
  warehouse: z.string().trim().max(64).optional().catch(undefined),
  category: z.string().trim().max(100).optional().catch(undefined),
  top: z.coerce.number().int().min(3).max(50).catch(10),
  idle: z.coerce.number().int().min(7).max(365).catch(60),
  sort: z.enum(['revenue', 'units']).catch('revenue'),
});
export type ProductsQuery = z.infer<typeof ProductsQuery>;

export interface ProductRow {
  productId: number;
  sku: string;
  name: string;
  category: string | null;
  orders: number;
  units: number;
  revenue: number;
  previousUnits: number | null;
  previousRevenue: number | null;
  /** On hand and available (on hand − reserved) now, in the chosen warehouses. */
  onHand: number;
  available: number;
  /** Average on hand over the range (null: no stock history in it). */
  averageOnHand: number | null;
  turnover: number | null;
  daysOfCover: number | null;
  stockoutDays: number;
  stockDays: number;
}

export interface IdleRow {
  productId: number;
  sku: string;
  name: string;
  category: string | null;
  kind: 'dead' | 'slow';
  onHand: number;
  /** On hand × today's unit cost (null: cost unknown). */
  value: number | null;
  /** The last day it sold (with the report's channel and warehouse), null: never. */
  lastSale: string | null;
  daysOfCover: number | null;
}

export interface CategoryRow {
  category: string | null;
  skus: number;
  units: number;
  revenue: number;
  previousUnits: number | null;
  previousRevenue: number | null;
}

export interface ProductsReport {
  from: string;
  to: string;
  days: number;
  previous: { from: string; to: string } | null;
  totals: { units: number; revenue: number; cost: number; orders: number; previousUnits: number | null; previousRevenue: number | null };
  rows: ProductRow[];
  categories: CategoryRow[];
  stock: {
    skus: number;
    onHand: number;
    value: number;
    uncostedSkus: number;
    averageOnHand: number | null;
    turnover: number | null;
    annualTurnover: number | null;
    daysOfCover: number | null;
    skuDays: number;
    stockoutSkuDays: number;
    stockoutRate: number | null;
    outNow: number;
    dead: { skus: number; onHand: number; value: number };
    slow: { skus: number; onHand: number; value: number };
  };
  idle: IdleRow[];
  idleDays: number;
  slowCoverDays: number;
  /** Day by day: units sold, and on hand at the close (today: now) with the SKUs that had none (null: no stock history that day). */
  daily: { day: string; units: number; revenue: number; onHand: number | null; outOfStock: number | null }[];
}

/** The rollup filter for `alias` (channel, for sales only, and warehouse by code as the sales report takes them; products by category). */
function filters(q: ProductsQuery) {
  const on = (alias: string, withChannel: boolean) => {
    const f = filterSql({ channel: withChannel ? q.channel : undefined, warehouse: q.warehouse }, alias);
    return q.category ? { sql: `${f.sql} and ${alias}.product_id in (select id from product where category = ?)`, params: [...f.params, q.category] } : f;
  };
  // Neither channel nor warehouse: the day's totals per product, far fewer rows.
  const table = q.channel || q.warehouse ? 'product_day' : 'product_day_total';
  return { on, table };
}

const num = (v: unknown) => Number(v ?? 0);

/** The products & stock report for the range and filters, as of `todayIso` (in the business's time zone). */
export async function productsReport(em: EntityManager, q: ProductsQuery, todayIso: string, baseCurrency: string): Promise<ProductsReport> {
  const { from, to, days, previous } = resolveRange(q, todayIso);
  const f = filters(q);
  const sales = f.on('d', true);
  const stockF = f.on('s', false);
  const levelF = f.on('l', false);
  const scanFrom = previous?.from ?? from;
  const includesToday = from <= todayIso && todayIso <= to;
  const cost = unitCostSql('p.id', sqlText(baseCurrency), String(currencyExponent(baseCurrency)));

  const [scanned, stock, levels, recent, stockDaily] = await Promise.all([
    // Sales per product in the range and the previous one, and per day in the range, in one pass over the rollup.
    em.execute<
      { gp: number; product_id: number; day: string; orders: string; units: string; revenue: string; cost: string; p_units: string; p_revenue: string }[]
    >(
      `select grouping(d.product_id) as gp, d.product_id, to_char(d.day, 'YYYY-MM-DD') as day,
              coalesce(sum(d.orders) filter (where d.day >= ?::date), 0) as orders,
              coalesce(sum(d.units) filter (where d.day >= ?::date), 0) as units,
              coalesce(sum(d.revenue_base_minor) filter (where d.day >= ?::date), 0) as revenue,
              coalesce(sum(d.cost_base_minor) filter (where d.day >= ?::date), 0) as cost,
              coalesce(sum(d.units) filter (where d.day < ?::date), 0) as p_units,
              coalesce(sum(d.revenue_base_minor) filter (where d.day < ?::date), 0) as p_revenue
         from ${f.table} d
        where d.day >= ?::date and d.day <= ?::date${sales.sql}
        group by grouping sets ((d.product_id), (d.day))`,
      [from, from, from, from, from, from, scanFrom, to, ...sales.params],
    ),
    // Stock at each day's close in the range (today: now), summed over the chosen warehouses.
    em.execute<{ product_id: number; days: string; on_hand_days: string; out_days: string }[]>(
      `select product_id, count(*) as days, sum(on_hand) as on_hand_days, count(*) filter (where on_hand <= 0) as out_days
         from (select s.day, s.product_id, sum(s.on_hand) as on_hand from stock_day s where s.day >= ?::date and s.day <= ?::date${stockF.sql} group by s.day, s.product_id
               ${includesToday ? `union all select null, l.product_id, sum(l.on_hand) from inventory_level l where true${levelF.sql} group by l.product_id` : ''}) x
        group by product_id`,
      [from, to < todayIso ? to : addDays(todayIso, -1), ...stockF.params, ...(includesToday ? levelF.params : [])],
    ),
    // Every active product with a level in the chosen warehouses: what is there now, and what a unit costs today.
    em.execute<{ id: number; sku: string; name: string; category: string | null; on_hand: string; available: string; unit_cost: string | null }[]>(
      `select p.id, p.sku, p.name, p.category, x.on_hand, x.available, ${cost} as unit_cost
         from (select l.product_id, sum(l.on_hand) as on_hand, sum(l.on_hand - l.reserved) as available from inventory_level l where true${levelF.sql} group by l.product_id) x
         join product p on p.id = x.product_id
        where p.active`,
      levelF.params,
    ),
    // What sold at all in the last `idle` days (dead stock is what did not).
    em.execute<{ product_id: number }[]>(`select distinct d.product_id from ${f.table} d where d.day > ?::date and d.units > 0${sales.sql}`, [
      addDays(todayIso, -q.idle),
      ...sales.params,
    ]),
    // The range's stock day by day: on hand at each close, and the SKUs with none.
    em.execute<{ day: string; on_hand: string; out: string }[]>(
      `select to_char(day, 'YYYY-MM-DD') as day, sum(on_hand) as on_hand, count(*) filter (where on_hand <= 0) as out
         from (select s.day, s.product_id, sum(s.on_hand) as on_hand from stock_day s join product p on p.id = s.product_id and p.active
                where s.day >= ?::date and s.day <= ?::date${stockF.sql} group by s.day, s.product_id) x
        group by day`,
      [from, to < todayIso ? to : addDays(todayIso, -1), ...stockF.params],
    ),
  ]);

  const sold = scanned.filter((r) => Number(r.gp) === 0);
  const soldDaily = scanned.filter((r) => Number(r.gp) === 1);
  const soldBy = new Map(sold.map((r) => [Number(r.product_id), r]));
  const stockBy = new Map(stock.map((r) => [Number(r.product_id), r]));
  const levelBy = new Map(levels.map((r) => [Number(r.id), r]));
  const sellers = new Set(recent.map((r) => Number(r.product_id)));
  // Products sold in either period but not (or no longer) stocked in the chosen warehouses still have a row.
  const missing = [...soldBy.keys()].filter((id) => !levelBy.has(id));
  const names = missing.length
    ? await em.execute<{ id: number; sku: string; name: string; category: string | null }[]>('select id, sku, name, category from product where id in (?)', [
        missing,
      ])
    : [];
  const info = new Map<number, { sku: string; name: string; category: string | null }>([
    ...levels.map((l) => [Number(l.id), l] as const),
    ...names.map((n) => [Number(n.id), n] as const),
  ]);

  const hasPrevious = previous !== null;
  const rowOf = (id: number): ProductRow => {
    const s = soldBy.get(id);
    const st = stockBy.get(id);
    const l = levelBy.get(id);
    const p = info.get(id)!;
    const units = num(s?.units);
    const stockDays = num(st?.days);
    const averageOnHand = stockDays ? num(st?.on_hand_days) / stockDays : null;
    const onHand = num(l?.on_hand);
    return {
      productId: id,
      sku: p.sku,
      name: p.name,
      category: p.category,
      orders: num(s?.orders),
      units,
      revenue: num(s?.revenue),
      previousUnits: hasPrevious ? num(s?.p_units) : null,
      previousRevenue: hasPrevious ? num(s?.p_revenue) : null,
      onHand,
      available: num(l?.available),
      averageOnHand: averageOnHand === null ? null : Math.round(averageOnHand * 10) / 10,
      turnover: averageOnHand ? Math.round((units / averageOnHand) * 100) / 100 : null,
      daysOfCover: units > 0 ? Math.round((onHand / (units / days)) * 10) / 10 : null,
      stockoutDays: num(st?.out_days),
      stockDays,
    };
  };
  const all = [...new Set([...levelBy.keys(), ...soldBy.keys()])].map(rowOf);
  const by = q.sort === 'units' ? (r: ProductRow) => r.units : (r: ProductRow) => r.revenue;
  all.sort((a, b) => by(b) - by(a) || b.revenue - a.revenue || a.sku.localeCompare(b.sku));

  const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);
  const categories = new Map<string | null, CategoryRow>();
  for (const r of all) {
    const c = categories.get(r.category) ?? {
      category: r.category,
      skus: 0,
      units: 0,
      revenue: 0,
      previousUnits: hasPrevious ? 0 : null,
      previousRevenue: hasPrevious ? 0 : null,
    };
    c.skus++;
    c.units += r.units;
    c.revenue += r.revenue;
    if (hasPrevious) {
      c.previousUnits! += r.previousUnits ?? 0;
      c.previousRevenue! += r.previousRevenue ?? 0;
    }
    categories.set(r.category, c);
  }

  // Stock health over the products stocked in the chosen warehouses.
  const stocked = all.filter((r) => levelBy.has(r.productId));
  const unitCost = (id: number) => {
    const c = levelBy.get(id)?.unit_cost;
    return c === null || c === undefined ? null : Number(c);
  };
  const valueOf = (r: ProductRow) => {
    const c = unitCost(r.productId);
    return c === null ? null : r.onHand * c;
  };
  const averageOnHand = sum(stocked, (r) => {
    const st = stockBy.get(r.productId);
    return st && num(st.days) ? num(st.on_hand_days) / num(st.days) : 0;
  });
  const unitsSold = sum(stocked, (r) => r.units);
  const onHand = sum(stocked, (r) => r.onHand);
  const skuDays = sum(stocked, (r) => r.stockDays);
  const stockoutSkuDays = sum(stocked, (r) => r.stockoutDays);
  const idle: IdleRow[] = [];
  for (const r of stocked) {
    if (r.onHand <= 0) continue;
    const kind = !sellers.has(r.productId) ? 'dead' : r.daysOfCover !== null && r.daysOfCover > SLOW_COVER_DAYS ? 'slow' : null;
    if (kind)
      idle.push({
        productId: r.productId,
        sku: r.sku,
        name: r.name,
        category: r.category,
        kind,
        onHand: r.onHand,
        value: valueOf(r),
        lastSale: null,
        daysOfCover: r.daysOfCover,
      });
  }
  const tally = (kind: 'dead' | 'slow') => {
    const xs = idle.filter((i) => i.kind === kind);
    return { skus: xs.length, onHand: sum(xs, (x) => x.onHand), value: sum(xs, (x) => x.value ?? 0) };
  };
  const [dead, slow] = [tally('dead'), tally('slow')];
  idle.sort((a, b) => (b.value ?? -1) - (a.value ?? -1) || b.onHand - a.onHand || a.sku.localeCompare(b.sku));
  const listed = idle.slice(0, MAX_IDLE);
  // Their last sale, each a backward probe of (product_id, day).
  const deadIds = listed.filter((i) => i.kind === 'dead').map((i) => i.productId);
  if (deadIds.length) {
    const last = await em.execute<{ id: number; last: string | null }[]>(
      `select p.id, (select to_char(max(d.day), 'YYYY-MM-DD') from ${f.table} d where d.product_id = p.id and d.units > 0${sales.sql}) as last
         from product p where p.id in (?)`,
      [...sales.params, deadIds],
    );
    const lastBy = new Map(last.map((l) => [Number(l.id), l.last]));
    for (const i of listed) if (i.kind === 'dead') i.lastSale = lastBy.get(i.productId) ?? null;
  }

  return {
    from,
    to,
    days,
    previous,
    totals: {
      units: sum(all, (r) => r.units),
      revenue: sum(all, (r) => r.revenue),
      cost: sum(sold, (r) => num(r.cost)),
      orders: sum(all, (r) => r.orders),
      previousUnits: hasPrevious ? sum(all, (r) => r.previousUnits ?? 0) : null,
      previousRevenue: hasPrevious ? sum(all, (r) => r.previousRevenue ?? 0) : null,
    },
    rows: all.slice(0, MAX_ROWS),
    categories: [...categories.values()].sort((a, b) => b.revenue - a.revenue || (a.category ?? '').localeCompare(b.category ?? '')),
    stock: {
      skus: stocked.length,
      onHand,
      value: sum(stocked, (r) => valueOf(r) ?? 0),
      uncostedSkus: stocked.filter((r) => r.onHand > 0 && unitCost(r.productId) === null).length,
      averageOnHand: skuDays ? Math.round(averageOnHand * 10) / 10 : null,
      turnover: averageOnHand ? Math.round((unitsSold / averageOnHand) * 100) / 100 : null,
      annualTurnover: averageOnHand ? Math.round(((unitsSold / averageOnHand) * 365 * 100) / days) / 100 : null,
      daysOfCover: unitsSold ? Math.round((onHand / (unitsSold / days)) * 10) / 10 : null,
      skuDays,
      stockoutSkuDays,
      stockoutRate: skuDays ? stockoutSkuDays / skuDays : null,
      outNow: stocked.filter((r) => r.available <= 0).length,
      dead,
      slow,
    },
    idle: listed,
    idleDays: q.idle,
    slowCoverDays: SLOW_COVER_DAYS,
    daily: Array.from({ length: days }, (_, i) => addDays(from, i)).map((day) => {
      const u = soldDaily.find((r) => r.day === day);
      const st = stockDaily.find((r) => r.day === day);
      const now = day === todayIso;
      return {
        day,
        units: num(u?.units),
        revenue: num(u?.revenue),
        onHand: now ? onHand : st ? num(st.on_hand) : null,
        outOfStock: now ? stocked.filter((r) => r.onHand <= 0).length : st ? num(st.out) : null,
      };
    }),
  };
}
