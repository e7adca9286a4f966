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
export const OPEN_PO: PoStatus[] = ['draft', 'approved', 'sent', 'partially_received'];

export async function inbound(em: EntityManager, productId: number, warehouseId: number): Promise<number> {
  const row = await db(em)
    .selectFrom('purchase_order_line as pl')
    .innerJoin('purchase_order as po', 'po.id', 'pl.purchase_order_id')
    .select(ksql<string>`coalesce(sum(pl.quantity - pl.received), 0)`.as('units'))
    .where('pl.product_id', '=', productId)
    .where('po.warehouse_id', '=', warehouseId)
    .where('po.status', 'in', OPEN_PO)
    .executeTakeFirstOrThrow();
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
  const po: PoRow | undefined = await db(em)
    .selectFrom('purchase_order as po')
    .innerJoin('supplier as s', 's.id', 'po.supplier_id')
    .innerJoin('warehouse as w', 'w.id', 'po.warehouse_id')
    .select([
      'po.id',
      'po.number',
      'po.status',
      'po.currency',
      'po.expected_at',
      'po.warehouse_id',
      'w.code as warehouse',
      's.code as supplier_code',
      's.name as supplier_name',
      's.email as supplier_email',
      's.locale as supplier_locale',
      'w.name as warehouse_name',
      'w.line1',
      'w.city',
      'w.postal_code',
      'w.country',
    ])
    .$if(id !== null, (q) => q.where('po.id', '=', id!))
    .$if(id === null, (q) => q.where('po.number', '=', number!))
    .forUpdate('po')
    .executeTakeFirst();
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
  const rows = await db(em)
    .selectFrom('supplier_product as sp')
    .innerJoin('supplier as s', 's.id', 'sp.supplier_id')
    .leftJoin('exchange_rate as r', 'r.currency', 's.currency')
    .select((eb) => [
      's.id as supplier_id',
      's.code',
      's.currency',
      'sp.unit_cost_minor',
      eb.fn.coalesce('sp.lead_time_days', 's.lead_time_days').as('lead_time_days'),
      'sp.preferred',
      's.active',
      'r.rate_per_base',
    ])
    .where('sp.product_id', '=', productId)
    .orderBy('s.code')
    .execute();
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
  const last = await db(em)
    .selectFrom('purchase_order_line as pl')
    .innerJoin('purchase_order as po', 'po.id', 'pl.purchase_order_id')
    .innerJoin('supplier as s', 's.id', 'po.supplier_id')
    .select(['s.id as supplier_id', 's.code', 's.currency', 's.lead_time_days', 'pl.unit_cost_minor', 'po.currency as po_currency'])
    .where('pl.product_id', '=', productId)
    .where('s.active', '=', true)
    .where('po.status', '<>', 'cancelled')
    .orderBy('po.created_at', 'desc')
    .orderBy('pl.id', 'desc')
    .limit(1)
    .executeTakeFirst();
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

/** A stock level by id, or by SKU and warehouse code (locked for the caller's transaction when asked); null when none. */
export async function findStockLevel(em: EntityManager, by: { levelId: number } | { sku: string; warehouse: string }, lock = false): Promise<LevelRow | null> {
  const level = db(em)
    .selectFrom('inventory_level as l')
    .innerJoin('product as p', 'p.id', 'l.product_id')
    .innerJoin('warehouse as w', 'w.id', 'l.warehouse_id')
    .select(['l.id', 'l.product_id', 'l.warehouse_id', 'p.sku', 'w.code as warehouse', 'l.on_hand', 'l.reserved', 'l.reorder_point', 'l.reorder_quantity'])
    .$if(lock, (q) => q.forUpdate('l'));
  const row: LevelRow | undefined =
    'levelId' in by
      ? await level.where('l.id', '=', by.levelId).executeTakeFirst()
      : await level.where('p.sku', '=', by.sku).where('w.code', '=', by.warehouse).executeTakeFirst();
  return row ?? null;
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
  const row = await db(em)
    .insertInto('purchase_order')
    .values({
      number: po.number,
      supplier_id: po.supplierId,
      warehouse_id: po.warehouseId,
      status: 'draft',
      currency: po.currency,
      expected_at: ksql<Date>`now() + make_interval(days => ${po.leadTimeDays})`,
      created_by: po.createdBy ?? null,
      created_at: ksql`now()`,
      updated_at: ksql`now()`,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
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

/** Adds `quantity` units to what a purchase order line has received (a part delivery; the line's check keeps it within the quantity ordered). */
export async function addLineReceived(em: EntityManager, lineId: number, quantity: number): Promise<void> {
  await db(em)
    .updateTable('purchase_order_line')
    .set((eb) => ({ received: eb('received', '+', quantity) }))
    .where('id', '=', lineId)
    .execute();
}
