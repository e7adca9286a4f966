// The replenishment plan: per product and warehouse, the units sold week by week, a demand forecast
// (forecast.ts), the reorder point and quantity it suggests, and how far those are from the level's
// present ones. Read from the base tables (orders, reservations, levels, suppliers); nothing is written
// here: accepting a suggestion goes through the inventory module (changeReorderPolicy).
//
// Weeks are the seven-day periods ending at `asOf` (now), the newest last, so the week in progress is
// never a short one. Units count where they were sold from: a line's active or consumed reservations
// by warehouse, else (not reserved yet) the order's warehouse; cancelled orders do not count.
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { chooseSupplier, type SupplierChoiceReason, type SupplierOffer } from '../inventory/supplier-choice.ts';
import { daysOfCover, demandOver, differsMaterially, forecastDemand, suggestReorder, type Forecast, type ReorderSuggestion } from './forecast.ts';

const WEEK = 7 * 86_400_000;
/** Weeks of history read. */
export const HISTORY_WEEKS = 26;
/** Weeks the suggested quantity covers beyond the lead time (the time until the plan is next looked at). */
export const REVIEW_WEEKS = 4;
/** Chance of not running out while an order is on its way, what the safety stock is sized for. */
export const SERVICE_LEVEL = 0.95;
/** Lead time when neither the product's supplier nor a past order says. */
export const DEFAULT_LEAD_TIME_DAYS = 7;

export type LeadTimeSource = SupplierChoiceReason | 'last_ordered' | 'default';

export interface ReplenishmentRow {
  levelId: number;
  sku: string;
  productName: string;
  warehouse: string;
  onHand: number;
  reserved: number;
  atp: number;
  reorderPoint: number;
  reorderQuantity: number;
  /** Units sold per week, oldest first (HISTORY_WEEKS of them). */
  history: number[];
  soldLast4: number;
  forecast: Forecast;
  forecastNext4: number;
  leadTimeDays: number;
  leadTimeSource: LeadTimeSource;
  supplier: string | null;
  suggestion: ReorderSuggestion;
  /** Days the units available last at the forecast rate; null when no demand is forecast. */
  daysOfCover: number | null;
  /** The present point or quantity is materially off the suggestion (differsMaterially). */
  differs: boolean;
}

export interface ReplenishmentPlan {
  asOf: string;
  weeks: number;
  reviewWeeks: number;
  serviceLevel: number;
  rows: ReplenishmentRow[];
}

/** The page's filters, as its query string gives them. */
export const ReplenishmentFilters = z.object({
  warehouse: z.string().trim().max(64).optional().catch(undefined),
  different: z.literal('1').optional().catch(undefined),
  sku: z.string().trim().max(64).optional().catch(undefined),
});
export type ReplenishmentFilters = z.infer<typeof ReplenishmentFilters>;

interface LevelRow {
  id: number;
  product_id: number;
  sku: string;
  name: string;
  warehouse_id: number;
  code: string;
  on_hand: number;
  reserved: number;
  reorder_point: number;
  reorder_quantity: number;
}

/** Each product's lead time: its supplier as purchasing would choose it, else the one last ordered from, else the default. */
async function leadTimes(em: EntityManager): Promise<Map<number, { days: number; source: LeadTimeSource; supplier: string | null }>> {
  const [offers, last] = await Promise.all([
    em.execute<
      {
        product_id: number;
        supplier_id: number;
        code: string;
        currency: string;
        unit_cost_minor: number;
        lead_time_days: number;
        preferred: boolean;
        rate_per_base: string | null;
      }[]
    >(
      `select sp.product_id, s.id as supplier_id, s.code, s.currency, sp.unit_cost_minor, coalesce(sp.lead_time_days, s.lead_time_days) as lead_time_days,
              sp.preferred, r.rate_per_base
         from supplier_product sp join supplier s on s.id = sp.supplier_id left join exchange_rate r on r.currency = s.currency
        where s.active`,
    ),
    em.execute<{ product_id: number; code: string; lead_time_days: number }[]>(
      `select distinct on (pl.product_id) pl.product_id, s.code, s.lead_time_days
         from purchase_order_line pl join purchase_order po on po.id = pl.purchase_order_id join supplier s on s.id = po.supplier_id
        where s.active and po.status <> 'cancelled' order by pl.product_id, po.created_at desc, pl.id desc`,
    ),
  ]);
  const byProduct = new Map<number, SupplierOffer[]>();
  for (const r of offers) {
    const list = byProduct.get(Number(r.product_id)) ?? [];
    list.push({
      supplierId: Number(r.supplier_id),
      supplier: r.code,
      currency: r.currency,
      unitCostMinor: Number(r.unit_cost_minor),
      leadTimeDays: Number(r.lead_time_days),
      preferred: r.preferred,
      ratePerBase: r.rate_per_base === null ? null : Number(r.rate_per_base),
    });
    byProduct.set(Number(r.product_id), list);
  }
  const out = new Map<number, { days: number; source: LeadTimeSource; supplier: string | null }>();
  for (const r of last) out.set(Number(r.product_id), { days: Number(r.lead_time_days), source: 'last_ordered', supplier: r.code });
  for (const [productId, list] of byProduct) {
    const choice = chooseSupplier(list);
    if (choice) out.set(productId, { days: choice.offer.leadTimeDays, source: choice.reason, supplier: choice.offer.supplier });
  }
  return out;
}

/** Units sold per product, warehouse and week ago (0: the seven days up to `asOf`). */
async function weeklySales(em: EntityManager, asOf: Date, weeks: number): Promise<Map<string, number[]>> {
  const from = new Date(asOf.getTime() - weeks * WEEK);
  const rows = await em.execute<{ product_id: number; warehouse_id: number; ago: number; units: string }[]>(
    `with lines as (
       select l.id, l.product_id, l.quantity, o.placed_at, o.warehouse_id
         from order_line l join sales_order o on o.id = l.order_id
        where o.status <> 'cancelled' and o.placed_at >= ? and o.placed_at < ?
     ), held as (
       select r.line_id, r.warehouse_id, sum(r.quantity) as quantity
         from reservation r join lines on lines.id = r.line_id where r.status in ('active', 'consumed') group by 1, 2
     ), units as (
       select lines.product_id, held.warehouse_id, lines.placed_at, held.quantity from lines join held on held.line_id = lines.id
       union all
       select lines.product_id, lines.warehouse_id, lines.placed_at, lines.quantity from lines
        where lines.warehouse_id is not null and not exists (select 1 from held where held.line_id = lines.id)
     )
     select product_id, warehouse_id, floor(extract(epoch from (?::timestamptz - placed_at)) / ?)::int as ago, sum(quantity) as units
       from units group by 1, 2, 3`,
    [from, asOf, asOf, WEEK / 1000],
  );
  const out = new Map<string, number[]>();
  for (const r of rows) {
    const key = `${r.product_id}:${r.warehouse_id}`;
    const series = out.get(key) ?? Array<number>(weeks).fill(0);
    const i = weeks - 1 - Number(r.ago);
    if (i >= 0 && i < weeks) series[i] += Number(r.units);
    out.set(key, series);
  }
  return out;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** The plan for every level of an active product in an active warehouse (or those the filters name). */
export async function replenishmentPlan(
  em: EntityManager,
  filters: ReplenishmentFilters = {},
  opts: { asOf?: Date; weeks?: number; reviewWeeks?: number; serviceLevel?: number } = {},
): Promise<ReplenishmentPlan> {
  const asOf = opts.asOf ?? new Date();
  const weeks = opts.weeks ?? HISTORY_WEEKS;
  const reviewWeeks = opts.reviewWeeks ?? REVIEW_WEEKS;
  const serviceLevel = opts.serviceLevel ?? SERVICE_LEVEL;
  const where: string[] = ['p.active', 'w.active'];
  const params: unknown[] = [];
  if (filters.warehouse) {
    where.push('w.code = ?');
    params.push(filters.warehouse);
  }
  if (filters.sku) {
    where.push('p.sku = ?');
    params.push(filters.sku);
  }
  const [levels, sales, leads] = await Promise.all([
    em.execute<LevelRow[]>(
      `select l.id, l.product_id, p.sku, p.name, l.warehouse_id, w.code, l.on_hand, l.reserved, l.reorder_point, l.reorder_quantity
         from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id
        where ${where.join(' and ')} order by p.sku, w.code`,
      params,
    ),
    weeklySales(em, asOf, weeks),
    leadTimes(em),
  ]);
  const rows: ReplenishmentRow[] = [];
  for (const l of levels) {
    const history = sales.get(`${l.product_id}:${l.warehouse_id}`) ?? Array<number>(weeks).fill(0);
    const lead = leads.get(Number(l.product_id)) ?? { days: DEFAULT_LEAD_TIME_DAYS, source: 'default' as const, supplier: null };
    const forecast = forecastDemand(history, { horizon: Math.max(8, Math.ceil(lead.days / 7 + reviewWeeks)) });
    const suggestion = suggestReorder({ forecast: forecast.forecast, sigma: forecast.sigma, leadTimeDays: lead.days, reviewWeeks, serviceLevel });
    const onHand = Number(l.on_hand);
    const reserved = Number(l.reserved);
    const reorderPoint = Number(l.reorder_point);
    const reorderQuantity = Number(l.reorder_quantity);
    const row: ReplenishmentRow = {
      levelId: Number(l.id),
      sku: l.sku,
      productName: l.name,
      warehouse: l.code,
      onHand,
      reserved,
      atp: onHand - reserved,
      reorderPoint,
      reorderQuantity,
      history,
      soldLast4: sum(history.slice(-4)),
      forecast,
      forecastNext4: demandOver(forecast.forecast, 4),
      leadTimeDays: lead.days,
      leadTimeSource: lead.source,
      supplier: lead.supplier,
      suggestion,
      daysOfCover: daysOfCover(onHand - reserved, forecast.forecast),
      differs: differsMaterially(reorderPoint, suggestion.reorderPoint) || differsMaterially(reorderQuantity, suggestion.reorderQuantity),
    };
    if (filters.different !== '1' || row.differs) rows.push(row);
  }
  return { asOf: asOf.toISOString(), weeks, reviewWeeks, serviceLevel, rows };
}
