// Warnings with a suggestion, for the dashboard: what will go wrong soon if nobody acts, each linking to
// what it is about. Two kinds so far:
// - a SKU that will run out at a warehouse before its next delivery arrives (or, with none coming, within
//   its lead time): days of cover from the last 28 days of sales, against the next open PO's expected date;
//   the suggestion names another warehouse that has stock to spare, or says to expedite / order;
// - a channel whose late-shipment rate this week is at least double last week's (and 10% or more);
// - a payment method whose failures are rising: the share of this week's orders paid by it that had a
//   failed payment attempt is at least double last week's (and 5% or more, of 10 orders or more);
// - a SKU whose return rate is rising: units returned this week over units sold this week at least double
//   last week's (and 10% or more, of 3 units returned or more).
// "This week" is the last 7 days up to today, "last week" the 7 before, in the business's time zone.
import type { EntityManager } from '@mikro-orm/postgresql';

export type Warning =
  | {
      kind: 'stockout';
      sku: string;
      warehouse: string;
      available: number;
      perDay: number;
      daysLeft: number;
      /** The next open PO for it, when one is expected. */
      inbound: { number: string; id: number; inDays: number } | null;
      /** A warehouse with at least a week of this demand to spare, if any. */
      spareAt: { warehouse: string; available: number } | null;
      link: string;
    }
  | { kind: 'lateRate'; channel: string; thisWeek: number; lastWeek: number; shipped: number; link: string }
  | { kind: 'paymentFailures'; method: string; thisWeek: number; lastWeek: number; failed: number; orders: number; link: string }
  | { kind: 'returnRate'; sku: string; thisWeek: number; lastWeek: number; returned: number; sold: number; link: string };

const SALES_DAYS = 28;
const DEFAULT_LEAD_DAYS = 7;

export async function warnings(em: EntityManager, today: string): Promise<Warning[]> {
  const [stock, late, payments, returns] = await Promise.all([stockouts(em), lateRates(em, today), paymentFailures(em, today), returnRates(em, today)]);
  return [...stock, ...late, ...payments, ...returns];
}

interface LevelRow {
  sku: string;
  warehouse: string;
  available: number;
  sold: string;
  next_po: string | null;
  next_po_id: number | null;
  next_in_days: string | null;
  spare_warehouse: string | null;
  spare_available: number | null;
}

async function stockouts(em: EntityManager): Promise<Warning[]> {
  const rows = await em.execute<LevelRow[]>(
    `with sold as (
       select r.product_id, r.warehouse_id, sum(r.quantity) as units
         from reservation r join sales_order o on o.id = r.order_id
        where r.status <> 'released' and o.status <> 'cancelled' and o.placed_at >= now() - ? * interval '1 day'
        group by r.product_id, r.warehouse_id)
     select p.sku, w.code as warehouse, l.on_hand - l.reserved as available, s.units as sold,
            po.number as next_po, po.id as next_po_id, extract(epoch from po.expected_at - now()) / 86400 as next_in_days,
            spare.code as spare_warehouse, spare.available as spare_available
       from sold s
       join inventory_level l on l.product_id = s.product_id and l.warehouse_id = s.warehouse_id
       join product p on p.id = l.product_id and p.active
       join warehouse w on w.id = l.warehouse_id and w.active
       left join lateral (
         select po.id, po.number, po.expected_at from purchase_order po join purchase_order_line pl on pl.purchase_order_id = po.id
          where pl.product_id = l.product_id and po.warehouse_id = l.warehouse_id and po.status in ('draft', 'approved', 'sent', 'partially_received')
            and pl.quantity > pl.received
          order by po.expected_at nulls last, po.id limit 1) po on true
       left join lateral (
         select w2.code, l2.on_hand - l2.reserved as available from inventory_level l2 join warehouse w2 on w2.id = l2.warehouse_id and w2.active
          where l2.product_id = l.product_id and l2.warehouse_id <> l.warehouse_id and l2.on_hand - l2.reserved >= greatest(1, ceil(s.units::numeric / ? * 7))
          order by l2.on_hand - l2.reserved desc limit 1) spare on true
      order by (l.on_hand - l.reserved)::numeric / nullif(s.units, 0), p.sku, w.code`,
    [SALES_DAYS, SALES_DAYS],
  );
  const out: Warning[] = [];
  for (const r of rows) {
    const perDay = Number(r.sold) / SALES_DAYS;
    if (perDay <= 0) continue;
    const daysLeft = Math.max(0, r.available) / perDay;
    const inDays = r.next_in_days === null ? null : Math.max(0, Number(r.next_in_days));
    const horizon = inDays ?? DEFAULT_LEAD_DAYS;
    if (daysLeft >= horizon) continue;
    out.push({
      kind: 'stockout',
      sku: r.sku,
      warehouse: r.warehouse,
      available: r.available,
      perDay: Math.round(perDay * 10) / 10,
      daysLeft: Math.floor(daysLeft * 10) / 10,
      inbound: r.next_po && r.next_po_id !== null && inDays !== null ? { number: r.next_po, id: r.next_po_id, inDays: Math.ceil(inDays) } : null,
      spareAt: r.spare_warehouse ? { warehouse: r.spare_warehouse, available: Number(r.spare_available) } : null,
      link: r.next_po_id !== null ? `/purchasing/${r.next_po_id}` : `/inventory?q=${encodeURIComponent(r.sku)}&warehouse=${encodeURIComponent(r.warehouse)}`,
    });
    if (out.length >= 10) break;
  }
  return out;
}

async function lateRates(em: EntityManager, today: string): Promise<Warning[]> {
  const rows = await em.execute<{ channel: string; shipped_now: string; late_now: string; shipped_before: string; late_before: string }[]>(
    `select c.code as channel,
            coalesce(sum(d.shipped) filter (where d.day > ?::date - 7), 0) as shipped_now,
            coalesce(sum(d.shipped_late) filter (where d.day > ?::date - 7), 0) as late_now,
            coalesce(sum(d.shipped) filter (where d.day <= ?::date - 7), 0) as shipped_before,
            coalesce(sum(d.shipped_late) filter (where d.day <= ?::date - 7), 0) as late_before
       from sales_day d join channel c on c.id = d.channel_id
      where d.day > ?::date - 14 and d.day <= ?::date
      group by c.code order by c.code`,
    [today, today, today, today, today, today],
  );
  const out: Warning[] = [];
  for (const r of rows) {
    const shipped = Number(r.shipped_now);
    const now = shipped ? Number(r.late_now) / shipped : 0;
    const before = Number(r.shipped_before) ? Number(r.late_before) / Number(r.shipped_before) : 0;
    if (shipped >= 10 && now >= 0.1 && now >= 2 * before)
      out.push({
        kind: 'lateRate',
        channel: r.channel,
        thisWeek: now,
        lastWeek: before,
        shipped,
        link: `/analytics?channel=${encodeURIComponent(r.channel)}&granularity=day`,
      });
  }
  return out;
}

/** This week's and last week's sums of a facet's figures per key (ops_facet_day_total: the last 14 days up to today). */
async function weekly(em: EntityManager, facets: string[], today: string) {
  const rows = await em.execute<
    { facet: string; key: string; now_orders: string; now_units: string; now_failed: string; then_orders: string; then_units: string; then_failed: string }[]
  >(
    `select facet, key,
            coalesce(sum(orders) filter (where day > ?::date - 7), 0) as now_orders, coalesce(sum(units) filter (where day > ?::date - 7), 0) as now_units,
            coalesce(sum(failed) filter (where day > ?::date - 7), 0) as now_failed,
            coalesce(sum(orders) filter (where day <= ?::date - 7), 0) as then_orders, coalesce(sum(units) filter (where day <= ?::date - 7), 0) as then_units,
            coalesce(sum(failed) filter (where day <= ?::date - 7), 0) as then_failed
       from ops_facet_day_total where facet = any(?::text[]) and day > ?::date - 14 and day <= ?::date
      group by facet, key order by facet, key`,
    [today, today, today, today, today, today, `{${facets.join(',')}}`, today, today],
  );
  return rows.map((r) => ({
    facet: r.facet,
    key: r.key,
    now: { orders: Number(r.now_orders), units: Number(r.now_units), failed: Number(r.now_failed) },
    then: { orders: Number(r.then_orders), units: Number(r.then_units), failed: Number(r.then_failed) },
  }));
}

const weekStart = (today: string) => new Date(Date.parse(`${today}T00:00:00Z`) - 6 * 86_400_000).toISOString().slice(0, 10);

async function paymentFailures(em: EntityManager, today: string): Promise<Warning[]> {
  const out: Warning[] = [];
  for (const r of await weekly(em, ['payment'], today)) {
    const now = r.now.orders ? r.now.failed / r.now.orders : 0;
    const before = r.then.orders ? r.then.failed / r.then.orders : 0;
    if (r.now.orders >= 10 && now >= 0.05 && now >= 2 * before)
      out.push({
        kind: 'paymentFailures',
        method: r.key,
        thisWeek: now,
        lastWeek: before,
        failed: r.now.failed,
        orders: r.now.orders,
        link: `/orders?${new URLSearchParams({ from: weekStart(today), to: today, paymentMethod: r.key, paymentFailed: 'any' })}`,
      });
  }
  return out;
}

async function returnRates(em: EntityManager, today: string): Promise<Warning[]> {
  const rows = await weekly(em, ['return_sku', 'sold'], today);
  const sold = new Map(rows.filter((r) => r.facet === 'sold').map((r) => [r.key, r]));
  const out: Extract<Warning, { kind: 'returnRate' }>[] = [];
  for (const r of rows.filter((x) => x.facet === 'return_sku')) {
    const s = sold.get(r.key);
    const now = s?.now.units ? r.now.units / s.now.units : 0;
    const before = s?.then.units ? r.then.units / s.then.units : 0;
    if (s && r.now.units >= 3 && now >= 0.1 && now >= 2 * before)
      out.push({
        kind: 'returnRate',
        sku: r.key,
        thisWeek: now,
        lastWeek: before,
        returned: r.now.units,
        sold: s.now.units,
        link: `/orders?${new URLSearchParams({ returned: '1', returnSku: r.key, returnFrom: weekStart(today), returnTo: today })}`,
      });
  }
  return out.sort((a, b) => b.thisWeek - a.thisWeek || a.sku.localeCompare(b.sku)).slice(0, 10);
}
