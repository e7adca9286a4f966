// Warnings with a suggestion, for the dashboard: what will go wrong soon if nobody acts, each linking to
// what it is about. Two kinds so far:
// - a SKU that will run out at a warehouse before its next delivery arrives (or, with none coming, within
//   its lead time): days of cover from the last 28 days of sales, against the next open PO's expected date;
//   the suggestion names another warehouse that has stock to spare, or says to expedite / order;
// - a channel whose late-shipment rate this week is at least double last week's (and 10% or more).
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
  | { kind: 'lateRate'; channel: string; thisWeek: number; lastWeek: number; shipped: number; link: string };

const SALES_DAYS = 28;
const DEFAULT_LEAD_DAYS = 7;

export async function warnings(em: EntityManager, today: string): Promise<Warning[]> {
  const [stock, late] = await Promise.all([stockouts(em), lateRates(em, today)]);
  return [...stock, ...late];
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
