// Purchasing: purchase orders, their lines, suppliers and what is coming in. The one owner of the
// purchase_order and purchase_order_line tables; the inventory plugin's replenishment steps
// (activities/nodes/inventory.ts) call it. Stock arriving goes through moveStock (inventory).
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Locale } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { sql as ksql } from 'kysely';
import { db } from '../../lib/db.server.ts';
import { publish } from '../../lib/outbox.server.ts';
import { enqueueMail, senderName } from '../notifications/service.server.ts';
import { renderPurchaseOrderCancellation } from '../notifications/supplier-mail.ts';
import { chooseSupplier, type SupplierChoiceReason, type SupplierOffer } from '../inventory/supplier-choice.ts';

export interface LevelRow {
  id: number;
  product_id: number;
  warehouse_id: number;
  sku: string;
  warehouse: string;
  on_hand: number;
  reserved: number;
  reorder_point: number;
  reorder_quantity: number;
}

export type PoStatus = 'draft' | 'approved' | 'sent' | 'partially_received' | 'received' | 'cancelled';

export interface PoRow {
  id: number;
  number: string;
  status: PoStatus;
  currency: string;
  expected_at: Date | null;
  warehouse_id: number;
  warehouse: string;
  supplier_code: string;
  supplier_name: string;
  supplier_email: string;
  supplier_locale: Locale;
  warehouse_name: string;
  line1: string;
  city: string;
  postal_code: string | null;
  country: string;
}

/** Purchase orders whose units still count as coming: everything not received or cancelled (drafts too, so two runs do not both order). */
const OPEN_PO = ['draft', 'approved', 'sent', 'partially_received'];

export async function inbound(em: EntityManager, productId: number, warehouseId: number): Promise<number> {
  const [row] = await em.execute<{ units: string }[]>(
    `select coalesce(sum(pl.quantity - pl.received), 0) as units from purchase_order_line pl join purchase_order po on po.id = pl.purchase_order_id
      where pl.product_id = ? and po.warehouse_id = ? and po.status in (?)`,
    [productId, warehouseId, OPEN_PO],
  );
  return Number(row.units);
}

/**
 * Units of the product sold from the warehouse in the last `days` days (orders not cancelled, by
 * placed date): the reservations that took them there (active or shipped), and for orders without
 * reservations (imported history) their lines when the order's warehouse is this one.
 */
export async function unitsSold(em: EntityManager, productId: number, warehouseId: number, days: number): Promise<number> {
  const [row] = await em.execute<{ units: string }[]>(
    `select coalesce(sum(q), 0) as units from (
       select r.quantity as q from reservation r join sales_order o on o.id = r.order_id
        where r.product_id = ? and r.warehouse_id = ? and r.status <> 'released' and o.status <> 'cancelled' and o.placed_at >= now() - make_interval(days => ?)
       union all
       select l.quantity as q from order_line l join sales_order o on o.id = l.order_id
        where l.product_id = ? and o.warehouse_id = ? and o.status <> 'cancelled' and o.placed_at >= now() - make_interval(days => ?)
          and not exists (select 1 from reservation r where r.order_id = o.id)) s`,
    [productId, warehouseId, days, productId, warehouseId, days],
  );
  return Number(row.units);
}

export async function loadPo(em: EntityManager, id: number | null, number?: string): Promise<PoRow | null> {
  const [po] = await em.execute<PoRow[]>(
    `select po.id, po.number, po.status, po.currency, po.expected_at, po.warehouse_id, w.code as warehouse, s.code as supplier_code, s.name as supplier_name, s.email as supplier_email,
            s.locale as supplier_locale, w.name as warehouse_name, w.line1, w.city, w.postal_code, w.country
       from purchase_order po join supplier s on s.id = po.supplier_id join warehouse w on w.id = po.warehouse_id
      where ${id !== null ? 'po.id = ?' : 'po.number = ?'} for update of po`,
    [id ?? number],
  );
  return po ?? null;
}

export const poLines = (em: EntityManager, poId: number) =>
  db(em)
    .selectFrom('purchase_order_line as pl')
    .innerJoin('product as p', 'p.id', 'pl.product_id')
    .select(['pl.id', 'pl.product_id', 'p.sku', 'p.name', 'pl.quantity', 'pl.received', 'pl.unit_cost_minor'])
    .where('pl.purchase_order_id', '=', poId)
    .orderBy('pl.id')
    .execute();

export async function setPoStatus(em: EntityManager, po: PoRow, to: PoStatus, actor: Actor, after: Record<string, unknown> = {}) {
  await db(em)
    .updateTable('purchase_order')
    .set({ status: to, updated_at: ksql`now()` })
    .where('id', '=', po.id)
    .execute();
  audit(em, actor, {
    action: `purchase_order.${to}`,
    entityType: 'PurchaseOrder',
    entityId: po.id,
    before: { number: po.number, status: po.status },
    after: { number: po.number, status: to, ...after },
  });
  publish(em, 'inventory', 'po.updated', { purchaseOrderId: po.id, number: po.number, status: to });
}

/** Offers compared for one product, as the draft's output shows them (the best first, at most this many). */
const COMPARED_SHOWN = 5;

/**
 * The supplier a purchase order for the product goes to and why (see chooseSupplier): among the
 * active suppliers offering it; none offering it, the active supplier it was last ordered from,
 * at that order's cost. Null when neither exists.
 */
export async function chooseSupplierFor(
  em: EntityManager,
  productId: number,
): Promise<{
  supplierId: number;
  supplier: string;
  currency: string;
  unitCostMinor: number;
  leadTimeDays: number;
  reason: SupplierChoiceReason | 'last_ordered';
  compared: { supplier: string; unitCost: number | null; currency: string; leadTimeDays: number; preferred: boolean }[];
  preferredUnavailable: string | null;
} | null> {
  const rows = await em.execute<
    {
      supplier_id: number;
      code: string;
      currency: string;
      unit_cost_minor: number;
      lead_time_days: number;
      preferred: boolean;
      active: boolean;
      rate_per_base: string | null;
    }[]
  >(
    `select s.id as supplier_id, s.code, s.currency, sp.unit_cost_minor, coalesce(sp.lead_time_days, s.lead_time_days) as lead_time_days, sp.preferred, s.active, r.rate_per_base
       from supplier_product sp join supplier s on s.id = sp.supplier_id left join exchange_rate r on r.currency = s.currency
      where sp.product_id = ? order by s.code`,
    [productId],
  );
  const offers: SupplierOffer[] = rows
    .filter((r) => r.active)
    .map((r) => ({
      supplierId: Number(r.supplier_id),
      supplier: r.code,
      currency: r.currency,
      unitCostMinor: Number(r.unit_cost_minor),
      leadTimeDays: Number(r.lead_time_days),
      preferred: r.preferred,
      ratePerBase: r.rate_per_base === null ? null : Number(r.rate_per_base),
    }));
  const preferredUnavailable = rows.find((r) => r.preferred && !r.active)?.code ?? null;
  const choice = chooseSupplier(offers);
  if (choice) {
    return {
      supplierId: choice.offer.supplierId,
      supplier: choice.offer.supplier,
      currency: choice.offer.currency,
      unitCostMinor: choice.offer.unitCostMinor ?? 0,
      leadTimeDays: choice.offer.leadTimeDays,
      reason: choice.reason,
      preferredUnavailable,
      compared: choice.ranked
        .slice(0, COMPARED_SHOWN)
        .map((o) => ({ supplier: o.supplier, unitCost: o.unitCostMinor || null, currency: o.currency, leadTimeDays: o.leadTimeDays, preferred: o.preferred })),
    };
  }
  const [last] = await em.execute<
    { supplier_id: number; code: string; currency: string; lead_time_days: number; unit_cost_minor: number; po_currency: string }[]
  >(
    `select s.id as supplier_id, s.code, s.currency, s.lead_time_days, pl.unit_cost_minor, po.currency as po_currency
       from purchase_order_line pl join purchase_order po on po.id = pl.purchase_order_id join supplier s on s.id = po.supplier_id
      where pl.product_id = ? and s.active and po.status <> 'cancelled' order by po.created_at desc, pl.id desc limit 1`,
    [productId],
  );
  if (!last) return null;
  return {
    supplierId: Number(last.supplier_id),
    supplier: last.code,
    currency: last.currency,
    leadTimeDays: Number(last.lead_time_days),
    // A cost in another currency than the supplier's present one is no quote for this order.
    unitCostMinor: last.po_currency === last.currency ? Number(last.unit_cost_minor) : 0,
    reason: 'last_ordered',
    preferredUnavailable,
    compared: [],
  };
}

export const validEmail = (to: string) => /^[^\s@]+@[^\s@]+$/.test(to);

/**
 * Queues the notice withdrawing a PO the supplier already has (key `purchase-order-cancelled:<number>`:
 * once per PO), in the caller's transaction. What it did, for the audit event and the step's output;
 * `notificationId` is null when the notice was queued before, `skipped` says why nothing could be sent.
 */
export async function notifySupplierOfCancellation(
  em: EntityManager,
  po: PoRow,
  reason: string | null,
): Promise<{ to: string; notificationId: number | null; subject?: string; skipped?: 'no_supplier_email' }> {
  const to = po.supplier_email.trim();
  if (!validEmail(to)) return { to, notificationId: null, skipped: 'no_supplier_email' };
  const rows = await poLines(em, po.id);
  const mail = renderPurchaseOrderCancellation(po.supplier_locale, {
    number: po.number,
    supplierName: po.supplier_name,
    currency: po.currency,
    buyer: senderName(),
    reason,
    warehouse: { code: po.warehouse, name: po.warehouse_name, line1: po.line1, city: po.city, postalCode: po.postal_code, country: po.country },
    lines: rows.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitCostMinor: l.unit_cost_minor })),
  });
  const notificationId = await enqueueMail(em, {
    key: `purchase-order-cancelled:${po.number}`,
    template: 'purchase_order_cancelled',
    to,
    locale: po.supplier_locale,
    mail,
  });
  return { to, notificationId, subject: mail.subject };
}

const LEVEL_SELECT = `select l.id, l.product_id, l.warehouse_id, p.sku, w.code as warehouse, l.on_hand, l.reserved, l.reorder_point, l.reorder_quantity
                        from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id`;

/** A stock level by id, or by SKU and warehouse code (locked for the caller's transaction when asked); null when none. */
export async function findStockLevel(em: EntityManager, by: { levelId: number } | { sku: string; warehouse: string }, lock = false): Promise<LevelRow | null> {
  const rows =
    'levelId' in by
      ? await em.execute<LevelRow[]>(`${LEVEL_SELECT} where l.id = ?${lock ? ' for update of l' : ''}`, [by.levelId])
      : await em.execute<LevelRow[]>(`${LEVEL_SELECT} where p.sku = ? and w.code = ?${lock ? ' for update of l' : ''}`, [by.sku, by.warehouse]);
  return rows[0] ?? null;
}

/** Inserts a draft purchase order of one line, expected after the supplier's lead time; its id. */
export async function insertDraftPo(
  em: EntityManager,
  po: {
    number: string;
    supplierId: number;
    warehouseId: number;
    currency: string;
    leadTimeDays: number;
    createdBy: string | null | undefined;
    productId: number;
    quantity: number;
    unitCostMinor: number;
  },
): Promise<number> {
  const [row] = await em.execute<{ id: number }[]>(
    `insert into purchase_order (number, supplier_id, warehouse_id, status, currency, expected_at, created_by, created_at, updated_at)
     values (?, ?, ?, 'draft', ?, now() + make_interval(days => ?), ?, now(), now()) returning id`,
    [po.number, po.supplierId, po.warehouseId, po.currency, po.leadTimeDays, po.createdBy ?? null],
  );
  await db(em)
    .insertInto('purchase_order_line')
    .values({ purchase_order_id: row.id, product_id: po.productId, quantity: po.quantity, received: 0, unit_cost_minor: po.unitCostMinor })
    .execute();
  return Number(row.id);
}

/** Marks a purchase order line as fully received. */
export async function markLineReceived(em: EntityManager, lineId: number): Promise<void> {
  await db(em)
    .updateTable('purchase_order_line')
    .set((eb) => ({ received: eb.ref('quantity') }))
    .where('id', '=', lineId)
    .execute();
}
