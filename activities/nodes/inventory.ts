// The inventory plugin's activities: replenishment from a low-stock signal. Check the projected
// stock, draft a purchase order sized by sales velocity, approve it, send it to the supplier,
// receive it into stock. The PO's status only moves forward, so a repeated step changes nothing.
import { ApplicationFailure } from '@temporalio/common';
import type { Locale } from '../../entities/constants.ts';
import type { EntityManager } from '@mikro-orm/postgresql';
import { moveStock } from '../../app/modules/inventory/stock.server.ts';
import { audit, type Actor } from '../../app/lib/audit.server.ts';
import { publish } from '../../app/lib/outbox.server.ts';
import { DomainError } from '../../app/lib/errors.ts';
import { enqueueMail, senderName } from '../../app/modules/notifications/service.server.ts';
import { renderPurchaseOrder, renderPurchaseOrderCancellation } from '../../app/modules/notifications/supplier-mail.ts';
import { chooseSupplier, type SupplierChoiceReason, type SupplierOffer } from '../../app/modules/inventory/supplier-choice.ts';
import type { NodeActivityInput } from '../../workflows/graph.ts';
import { keyDigest, lockKey, nodeActivity, originalKey, requireSubject, subjectId, workflowActor, type NodeActivity, type NodeDeps } from './shared.ts';

interface LevelRow {
  id: number; product_id: number; warehouse_id: number; sku: string; warehouse: string;
  on_hand: number; reserved: number; reorder_point: number; reorder_quantity: number;
}

type PoStatus = 'draft' | 'approved' | 'sent' | 'partially_received' | 'received' | 'cancelled';

interface PoRow {
  id: number; number: string; status: PoStatus; currency: string; expected_at: Date | null; warehouse_id: number; warehouse: string;
  supplier_code: string; supplier_name: string; supplier_email: string; supplier_locale: Locale;
  warehouse_name: string; line1: string; city: string; postal_code: string | null; country: string;
}

/** Purchase orders whose units still count as coming: everything not received or cancelled (drafts too, so two runs do not both order). */
const OPEN_PO = ['draft', 'approved', 'sent', 'partially_received'];

/** The PO number inventory.draftPo derives from its key: a retry (or the compensation) finds the same PO. */
export const poNumberForKey = (key: string): string => `PO-${keyDigest(key, 10)}`;

async function findLevel(em: EntityManager, input: NodeActivityInput, lock = false): Promise<LevelRow> {
  const select = `select l.id, l.product_id, l.warehouse_id, p.sku, w.code as warehouse, l.on_hand, l.reserved, l.reorder_point, l.reorder_quantity
                    from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id`;
  const levelId = subjectId(input, 'levelId');
  const payload = input.context.trigger.payload ?? {};
  let rows: LevelRow[];
  if (levelId !== null) rows = await em.execute<LevelRow[]>(`${select} where l.id = ?${lock ? ' for update of l' : ''}`, [levelId]);
  else if (typeof payload.sku === 'string' && typeof payload.warehouse === 'string') rows = await em.execute<LevelRow[]>(`${select} where p.sku = ? and w.code = ?${lock ? ' for update of l' : ''}`, [payload.sku, payload.warehouse]);
  else throw ApplicationFailure.nonRetryable(`Node ${input.nodeId} needs levelId (or sku and warehouse) in the trigger payload or an earlier node's output.`, 'missing_subject');
  if (!rows[0]) throw new DomainError(404, 'not_found', `No stock level ${levelId ?? `${String(payload.sku)} @ ${String(payload.warehouse)}`}.`);
  return rows[0];
}

async function inbound(em: EntityManager, productId: number, warehouseId: number): Promise<number> {
  const [row] = await em.execute<{ units: string }[]>(
    `select coalesce(sum(pl.quantity - pl.received), 0) as units from purchase_order_line pl join purchase_order po on po.id = pl.purchase_order_id
      where pl.product_id = ? and po.warehouse_id = ? and po.status in (?)`, [productId, warehouseId, OPEN_PO]);
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
    [productId, warehouseId, days, productId, warehouseId, days]);
  return Number(row.units);
}

const intConfig = (value: unknown, fallback: number, min: number, max: number) => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : fallback;
};

async function loadPo(em: EntityManager, id: number | null, number?: string): Promise<PoRow | null> {
  const [po] = await em.execute<PoRow[]>(
    `select po.id, po.number, po.status, po.currency, po.expected_at, po.warehouse_id, w.code as warehouse, s.code as supplier_code, s.name as supplier_name, s.email as supplier_email,
            s.locale as supplier_locale, w.name as warehouse_name, w.line1, w.city, w.postal_code, w.country
       from purchase_order po join supplier s on s.id = po.supplier_id join warehouse w on w.id = po.warehouse_id
      where ${id !== null ? 'po.id = ?' : 'po.number = ?'} for update of po`, [id ?? number]);
  return po ?? null;
}

const poLines = (em: EntityManager, poId: number) =>
  em.execute<{ id: number; product_id: number; sku: string; name: string; quantity: number; received: number; unit_cost_minor: number }[]>(
    'select pl.id, pl.product_id, p.sku, p.name, pl.quantity, pl.received, pl.unit_cost_minor from purchase_order_line pl join product p on p.id = pl.product_id where pl.purchase_order_id = ? order by pl.id', [poId]);

async function setPoStatus(em: EntityManager, po: PoRow, to: PoStatus, actor: Actor, after: Record<string, unknown> = {}) {
  await em.execute('update purchase_order set status = ?, updated_at = now() where id = ?', [to, po.id]);
  audit(em, actor, { action: `purchase_order.${to}`, entityType: 'PurchaseOrder', entityId: po.id, before: { number: po.number, status: po.status }, after: { number: po.number, status: to, ...after } });
  publish(em, 'inventory', 'po.updated', { purchaseOrderId: po.id, number: po.number, status: to });
}

/** Offers compared for one product, as the draft's output shows them (the best first, at most this many). */
const COMPARED_SHOWN = 5;

/**
 * The supplier a purchase order for the product goes to and why (see chooseSupplier): among the
 * active suppliers offering it; none offering it, the active supplier it was last ordered from,
 * at that order's cost. Null when neither exists.
 */
async function chooseSupplierFor(em: EntityManager, productId: number): Promise<{
  supplierId: number; supplier: string; currency: string; unitCostMinor: number; leadTimeDays: number; reason: SupplierChoiceReason | 'last_ordered';
  compared: { supplier: string; unitCost: number | null; currency: string; leadTimeDays: number; preferred: boolean }[]; preferredUnavailable: string | null;
} | null> {
  const rows = await em.execute<{ supplier_id: number; code: string; currency: string; unit_cost_minor: number; lead_time_days: number; preferred: boolean; active: boolean; rate_per_base: string | null }[]>(
    `select s.id as supplier_id, s.code, s.currency, sp.unit_cost_minor, coalesce(sp.lead_time_days, s.lead_time_days) as lead_time_days, sp.preferred, s.active, r.rate_per_base
       from supplier_product sp join supplier s on s.id = sp.supplier_id left join exchange_rate r on r.currency = s.currency
      where sp.product_id = ? order by s.code`, [productId]);
  const offers: SupplierOffer[] = rows.filter((r) => r.active).map((r) => ({
    supplierId: Number(r.supplier_id), supplier: r.code, currency: r.currency, unitCostMinor: Number(r.unit_cost_minor), leadTimeDays: Number(r.lead_time_days),
    preferred: r.preferred, ratePerBase: r.rate_per_base === null ? null : Number(r.rate_per_base),
  }));
  const preferredUnavailable = rows.find((r) => r.preferred && !r.active)?.code ?? null;
  const choice = chooseSupplier(offers);
  if (choice) {
    return {
      supplierId: choice.offer.supplierId, supplier: choice.offer.supplier, currency: choice.offer.currency, unitCostMinor: choice.offer.unitCostMinor ?? 0,
      leadTimeDays: choice.offer.leadTimeDays, reason: choice.reason, preferredUnavailable,
      compared: choice.ranked.slice(0, COMPARED_SHOWN).map((o) => ({ supplier: o.supplier, unitCost: o.unitCostMinor || null, currency: o.currency, leadTimeDays: o.leadTimeDays, preferred: o.preferred })),
    };
  }
  const [last] = await em.execute<{ supplier_id: number; code: string; currency: string; lead_time_days: number; unit_cost_minor: number; po_currency: string }[]>(
    `select s.id as supplier_id, s.code, s.currency, s.lead_time_days, pl.unit_cost_minor, po.currency as po_currency
       from purchase_order_line pl join purchase_order po on po.id = pl.purchase_order_id join supplier s on s.id = po.supplier_id
      where pl.product_id = ? and s.active and po.status <> 'cancelled' order by po.created_at desc, pl.id desc limit 1`, [productId]);
  if (!last) return null;
  return {
    supplierId: Number(last.supplier_id), supplier: last.code, currency: last.currency, leadTimeDays: Number(last.lead_time_days),
    // A cost in another currency than the supplier's present one is no quote for this order.
    unitCostMinor: last.po_currency === last.currency ? Number(last.unit_cost_minor) : 0,
    reason: 'last_ordered', preferredUnavailable, compared: [],
  };
}

const validEmail = (to: string) => /^[^\s@]+@[^\s@]+$/.test(to);

/**
 * Queues the notice withdrawing a PO the supplier already has (key `purchase-order-cancelled:<number>`:
 * once per PO), in the caller's transaction. What it did, for the audit event and the step's output;
 * `notificationId` is null when the notice was queued before, `skipped` says why nothing could be sent.
 */
async function notifySupplierOfCancellation(em: EntityManager, po: PoRow, reason: string | null): Promise<{ to: string; notificationId: number | null; subject?: string; skipped?: 'no_supplier_email' }> {
  const to = po.supplier_email.trim();
  if (!validEmail(to)) return { to, notificationId: null, skipped: 'no_supplier_email' };
  const rows = await poLines(em, po.id);
  const mail = renderPurchaseOrderCancellation(po.supplier_locale, {
    number: po.number, supplierName: po.supplier_name, currency: po.currency, buyer: senderName(), reason,
    warehouse: { code: po.warehouse, name: po.warehouse_name, line1: po.line1, city: po.city, postalCode: po.postal_code, country: po.country },
    lines: rows.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitCostMinor: l.unit_cost_minor })),
  });
  const notificationId = await enqueueMail(em, { key: `purchase-order-cancelled:${po.number}`, template: 'purchase_order_cancelled', to, locale: po.supplier_locale, mail });
  return { to, notificationId, subject: mail.subject };
}

const poOutput = (po: PoRow, extra: Record<string, unknown> = {}) => ({ purchaseOrderId: po.id, number: po.number, status: po.status, ...extra });

export function inventoryNodeActivities({ orm }: NodeDeps) {
  const poOf = async (em: EntityManager, input: NodeActivityInput) => {
    const id = requireSubject(input, 'purchaseOrderId');
    const po = await loadPo(em, id);
    if (!po) throw new DomainError(404, 'not_found', `Purchase order ${id} does not exist.`);
    return po;
  };
  const refuse = (po: PoRow, what: string) => new DomainError(409, 'illegal_transition', `Purchase order ${po.number} is ${po.status}; it cannot be ${what}.`, { params: { from: po.status, to: what } });

  /** `low` when ATP plus open purchase orders is at or below the reorder point; else `ok`. Reads only. */
  const checkAtp: NodeActivity = async (input) => {
    const em = orm.em.fork();
    const l = await findLevel(em, input);
    const coming = await inbound(em, l.product_id, l.warehouse_id);
    const atp = l.on_hand - l.reserved;
    const projected = atp + coming;
    return {
      handle: projected <= l.reorder_point ? 'low' : 'ok',
      output: { levelId: l.id, sku: l.sku, warehouse: l.warehouse, onHand: l.on_hand, reserved: l.reserved, atp, inbound: coming, projected, reorderPoint: l.reorder_point, reorderQuantity: l.reorder_quantity },
    };
  };

  /**
   * Drafts a purchase order for the level. Quantity = ceil(unitsSold / velocityDays × coverDays
   * + reorderPoint − (onHand − reserved + inbound)), at least reorderQuantity (and at least 1).
   * Supplier (chooseSupplierFor): the product's preferred supplier, else the active supplier
   * offering it at the lowest unit cost (then the shortest lead time); a product no supplier lists
   * goes to the supplier it was last ordered from. The unit cost is that offer's (or that last
   * order's), 0 when not known (to be quoted); the PO is expected after the offer's lead time. Why
   * this supplier, and the offers compared, are in the step's output and the audit event. The PO's
   * number is derived from the key, so a retry finds it.
   */
  const draftPo: NodeActivity = async (input) => {
    const number = poNumberForKey(input.key);
    const velocityDays = intConfig(input.config.velocityDays, 30, 1, 365);
    const coverDays = intConfig(input.config.coverDays, 30, 1, 365);
    const actor = workflowActor(input);
    return orm.em.fork().transactional(async (em) => {
      await lockKey(em, `purchase-order:${number}`);
      const existing = await loadPo(em, null, number);
      if (existing) {
        const lines = await poLines(em, existing.id);
        return { handle: 'ok', output: poOutput(existing, { created: false, sku: lines[0]?.sku, quantity: lines.reduce((n, l) => n + l.quantity, 0), supplier: existing.supplier_code }) };
      }
      const l = await findLevel(em, input, true);
      const choice = await chooseSupplierFor(em, l.product_id);
      if (!choice) throw new DomainError(409, 'no_supplier', `No active supplier supplies ${l.sku}.`, { params: { sku: l.sku } });
      const sold = await unitsSold(em, l.product_id, l.warehouse_id, velocityDays);
      const coming = await inbound(em, l.product_id, l.warehouse_id);
      const position = l.on_hand - l.reserved + coming;
      // (sold × coverDays) / velocityDays in one division, so whole results stay whole before rounding up.
      const need = (sold * coverDays + (l.reorder_point - position) * velocityDays) / velocityDays;
      const quantity = Math.max(Math.ceil(need), l.reorder_quantity, 1);
      const unitCost = choice.unitCostMinor;
      const [po] = await em.execute<{ id: number }[]>(
        `insert into purchase_order (number, supplier_id, warehouse_id, status, currency, expected_at, created_by, created_at, updated_at)
         values (?, ?, ?, 'draft', ?, now() + make_interval(days => ?), ?, now(), now()) returning id`,
        [number, choice.supplierId, l.warehouse_id, choice.currency, choice.leadTimeDays, actor.label]);
      await em.execute('insert into purchase_order_line (purchase_order_id, product_id, quantity, received, unit_cost_minor) values (?, ?, ?, 0, ?)', [po.id, l.product_id, quantity, unitCost]);
      const basis = {
        sku: l.sku, warehouse: l.warehouse, unitsSold: sold, velocityDays, coverDays, dailyVelocity: sold / velocityDays,
        reorderPoint: l.reorder_point, reorderQuantity: l.reorder_quantity, onHand: l.on_hand, reserved: l.reserved, inbound: coming, quantity,
        supplier: choice.supplier, currency: choice.currency, unitCostKnown: unitCost > 0,
        ...(unitCost > 0 ? { unitCost, totalMinor: unitCost * quantity } : {}),
        leadTimeDays: choice.leadTimeDays,
        supplierChoice: { reason: choice.reason, ...(choice.preferredUnavailable ? { preferredUnavailable: choice.preferredUnavailable } : {}), compared: choice.compared },
      };
      audit(em, actor, { action: 'purchase_order.drafted', entityType: 'PurchaseOrder', entityId: po.id, after: { number, ...basis } });
      publish(em, 'inventory', 'po.updated', { purchaseOrderId: po.id, number, status: 'draft' });
      return { handle: 'ok', output: { purchaseOrderId: po.id, number, status: 'draft', created: true, levelId: l.id, ...basis } };
    });
  };

  /**
   * Compensation of draftPo: cancels the PO drafted under the original key, unless goods already
   * arrived. A PO the supplier already has (sent) is withdrawn by email to the supplier, in the
   * supplier's language, through the notification outbox in the same transaction: one notice per PO
   * (the row lock serialises concurrent attempts, and the mail's key is the PO number).
   */
  const cancelPo: NodeActivity = async (input) => {
    const number = poNumberForKey(originalKey(input.key));
    return orm.em.fork().transactional(async (em) => {
      const po = await loadPo(em, null, number);
      if (!po) return { handle: 'ok', output: { number, cancelled: false, reason: 'not_drafted' } };
      if (po.status === 'draft' || po.status === 'approved' || po.status === 'sent') {
        const notice = po.status === 'sent' ? await notifySupplierOfCancellation(em, po, null) : null;
        await setPoStatus(em, po, 'cancelled', workflowActor(input), { reason: 'workflow compensation', wasSent: po.status === 'sent', supplierNotified: !!notice?.notificationId, ...(notice ?? {}) });
        return { handle: 'ok', output: poOutput({ ...po, status: 'cancelled' }, { cancelled: true, supplierNotified: !!notice?.notificationId, ...(notice ?? {}) }) };
      }
      return { handle: 'ok', output: poOutput(po, { cancelled: po.status === 'cancelled' }) };
    });
  };

  /** draft → approved (already approved or further: nothing to do). */
  const approvePo: NodeActivity = async (input) =>
    orm.em.fork().transactional(async (em) => {
      const po = await poOf(em, input);
      if (po.status === 'cancelled') throw refuse(po, 'approved');
      if (po.status !== 'draft') return { handle: 'ok', output: poOutput(po, { changed: false }) };
      await setPoStatus(em, po, 'approved', workflowActor(input));
      return { handle: 'ok', output: poOutput({ ...po, status: 'approved' }, { changed: true }) };
    });

  /**
   * approved → sent, and the PO is emailed to the supplier in the supplier's language (lines,
   * quantities, unit costs, the warehouse's address, the PO number to quote) through the
   * notification outbox, in the same transaction: one mail per PO number, so a retry sends none.
   */
  const sendPo: NodeActivity = async (input) =>
    orm.em.fork().transactional(async (em) => {
      const po = await poOf(em, input);
      if (po.status === 'draft' || po.status === 'cancelled') throw refuse(po, 'sent');
      if (po.status !== 'approved') return { handle: 'ok', output: poOutput(po, { changed: false }) };
      const to = po.supplier_email.trim();
      if (!validEmail(to)) throw new DomainError(409, 'no_supplier_email', `Supplier ${po.supplier_code} has no email address to send ${po.number} to.`, { params: { supplier: po.supplier_code } });
      const rows = await poLines(em, po.id);
      const mail = renderPurchaseOrder(po.supplier_locale, {
        number: po.number, supplierName: po.supplier_name, currency: po.currency, expectedAt: po.expected_at, buyer: senderName(),
        warehouse: { code: po.warehouse, name: po.warehouse_name, line1: po.line1, city: po.city, postalCode: po.postal_code, country: po.country },
        lines: rows.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitCostMinor: l.unit_cost_minor })),
      });
      const notificationId = await enqueueMail(em, { key: `purchase-order:${po.number}`, template: 'purchase_order', to, locale: po.supplier_locale, mail });
      const lines = rows.map((l) => ({ sku: l.sku, quantity: l.quantity, unitCost: l.unit_cost_minor }));
      const supplier = { code: po.supplier_code, name: po.supplier_name, email: to };
      await setPoStatus(em, po, 'sent', workflowActor(input), { supplier: supplier.code, to, notificationId, subject: mail.subject });
      publish(em, 'inventory', 'po.sent', { purchaseOrderId: po.id, number: po.number, supplier, warehouse: po.warehouse, currency: po.currency, expectedAt: po.expected_at, lines, emailQueued: notificationId !== null, notificationId });
      return { handle: 'ok', output: poOutput({ ...po, status: 'sent' }, { changed: true, supplier: supplier.code, to, notificationId }) };
    });

  /** Receives every unit still to come into on-hand stock (ledger 'receipt' per line, referencing the PO) and marks the PO received. */
  const receivePo: NodeActivity = async (input) => {
    const actor = workflowActor(input);
    return orm.em.fork().transactional(async (em) => {
      const po = await poOf(em, input);
      if (po.status === 'received') return { handle: 'ok', output: poOutput(po, { changed: false, received: [] }) };
      if (po.status === 'draft' || po.status === 'cancelled') throw refuse(po, 'received');
      const received: { sku: string; quantity: number; onHand: number }[] = [];
      for (const line of await poLines(em, po.id)) {
        const quantity = line.quantity - line.received;
        if (quantity <= 0) continue;
        const lvl = await moveStock(em, { productId: line.product_id, warehouseId: po.warehouse_id, delta: quantity, kind: 'receipt', reason: 'purchase order received', reference: po.number }, actor, { createLevel: true });
        await em.execute('update purchase_order_line set received = quantity where id = ?', [line.id]);
        audit(em, actor, { action: 'inventory.receipt', entityType: 'InventoryLevel', entityId: lvl.levelId, before: { onHand: lvl.onHandBefore }, after: { onHand: lvl.onHand, delta: quantity, reason: `purchase order ${po.number}` } });
        received.push({ sku: line.sku, quantity, onHand: lvl.onHand });
      }
      await setPoStatus(em, po, 'received', actor, { received });
      return { handle: 'ok', output: poOutput({ ...po, status: 'received' }, { changed: true, received }) };
    });
  };

  const activities = {
    'inventory.checkAtp': checkAtp,
    'inventory.draftPo': draftPo,
    'inventory.cancelPo': cancelPo,
    'inventory.approvePo': approvePo,
    'inventory.sendPo': sendPo,
    'inventory.receivePo': receivePo,
  };
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, nodeActivity(fn)])) as typeof activities;
}
