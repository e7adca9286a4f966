// The inventory plugin's activities: replenishment from a low-stock signal. Check the projected
// stock, draft a purchase order sized by sales velocity, approve it, send it to the supplier,
// receive it into stock. The PO's status only moves forward, so a repeated step changes nothing.
// The purchasing rules and writes live in app/modules/purchasing; these steps hold no SQL.
import { advisoryLock } from '../../app/lib/db.server.ts';
import { ApplicationFailure } from '@temporalio/common';
import type { EntityManager } from '@mikro-orm/postgresql';
import { moveStock } from '../../app/modules/inventory/stock.server.ts';
import { audit } from '../../app/lib/audit.server.ts';
import { publish } from '../../app/lib/outbox.server.ts';
import { DomainError } from '../../app/lib/errors.ts';
import { enqueueMail, senderName } from '../../app/modules/notifications/service.server.ts';
import { renderPurchaseOrder } from '../../app/modules/notifications/supplier-mail.ts';
import {
  chooseSupplierFor,
  findStockLevel,
  inbound,
  insertDraftPo,
  loadPo,
  markLineReceived,
  notifySupplierOfCancellation,
  poLines,
  setPoStatus,
  unitsSold,
  validEmail,
  type LevelRow,
  type PoRow,
} from '../../app/modules/purchasing/service.server.ts';
import type { NodeActivityInput } from '../../workflows/graph.ts';
import { keyDigest, nodeActivity, originalKey, requireSubject, subjectId, workflowActor, type NodeActivity, type NodeDeps } from './shared.ts';

/** The PO number inventory.draftPo derives from its key: a retry (or the compensation) finds the same PO. */
export const poNumberForKey = (key: string): string => `PO-${keyDigest(key, 10)}`;

async function findLevel(em: EntityManager, input: NodeActivityInput, lock = false): Promise<LevelRow> {
  const levelId = subjectId(input, 'levelId');
  const payload = input.context.trigger.payload ?? {};
  let level: LevelRow | null;
  if (levelId !== null) level = await findStockLevel(em, { levelId }, lock);
  else if (typeof payload.sku === 'string' && typeof payload.warehouse === 'string')
    level = await findStockLevel(em, { sku: payload.sku, warehouse: payload.warehouse }, lock);
  else
    throw ApplicationFailure.nonRetryable(
      `Node ${input.nodeId} needs levelId (or sku and warehouse) in the trigger payload or an earlier node's output.`,
      'missing_subject',
    );
  if (!level) throw new DomainError(404, 'not_found', `No stock level ${levelId ?? `${String(payload.sku)} @ ${String(payload.warehouse)}`}.`);
  return level;
}

const intConfig = (value: unknown, fallback: number, min: number, max: number) => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
  return Number.isInteger(n) ? Math.min(max, Math.max(min, n)) : fallback;
};

const poOutput = (po: PoRow, extra: Record<string, unknown> = {}) => ({ purchaseOrderId: po.id, number: po.number, status: po.status, ...extra });

export function inventoryNodeActivities({ orm }: NodeDeps) {
  const poOf = async (em: EntityManager, input: NodeActivityInput) => {
    const id = requireSubject(input, 'purchaseOrderId');
    const po = await loadPo(em, id);
    if (!po) throw new DomainError(404, 'not_found', `Purchase order ${id} does not exist.`);
    return po;
  };
  const refuse = (po: PoRow, what: string) =>
    new DomainError(409, 'illegal_transition', `Purchase order ${po.number} is ${po.status}; it cannot be ${what}.`, { params: { from: po.status, to: what } });

  /** `low` when ATP plus open purchase orders is at or below the reorder point; else `ok`. Reads only. */
  const checkAtp: NodeActivity = async (input) => {
    const em = orm.em.fork();
    const l = await findLevel(em, input);
    const coming = await inbound(em, l.product_id, l.warehouse_id);
    const atp = l.on_hand - l.reserved;
    const projected = atp + coming;
    return {
      handle: projected <= l.reorder_point ? 'low' : 'ok',
      output: {
        levelId: l.id,
        sku: l.sku,
        warehouse: l.warehouse,
        onHand: l.on_hand,
        reserved: l.reserved,
        atp,
        inbound: coming,
        projected,
        reorderPoint: l.reorder_point,
        reorderQuantity: l.reorder_quantity,
      },
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
      await advisoryLock(em, `purchase-order:${number}`);
      const existing = await loadPo(em, null, number);
      if (existing) {
        const lines = await poLines(em, existing.id);
        return {
          handle: 'ok',
          output: poOutput(existing, {
            created: false,
            sku: lines[0]?.sku,
            quantity: lines.reduce((n, l) => n + l.quantity, 0),
            supplier: existing.supplier_code,
          }),
        };
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
      const po = {
        id: await insertDraftPo(em, {
          number,
          supplierId: choice.supplierId,
          warehouseId: l.warehouse_id,
          currency: choice.currency,
          leadTimeDays: choice.leadTimeDays,
          createdBy: actor.label,
          productId: l.product_id,
          quantity,
          unitCostMinor: unitCost,
        }),
      };
      const basis = {
        sku: l.sku,
        warehouse: l.warehouse,
        unitsSold: sold,
        velocityDays,
        coverDays,
        dailyVelocity: sold / velocityDays,
        reorderPoint: l.reorder_point,
        reorderQuantity: l.reorder_quantity,
        onHand: l.on_hand,
        reserved: l.reserved,
        inbound: coming,
        quantity,
        supplier: choice.supplier,
        currency: choice.currency,
        unitCostKnown: unitCost > 0,
        ...(unitCost > 0 ? { unitCost, totalMinor: unitCost * quantity } : {}),
        leadTimeDays: choice.leadTimeDays,
        supplierChoice: {
          reason: choice.reason,
          ...(choice.preferredUnavailable ? { preferredUnavailable: choice.preferredUnavailable } : {}),
          compared: choice.compared,
        },
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
        await setPoStatus(em, po, 'cancelled', workflowActor(input), {
          reason: 'workflow compensation',
          wasSent: po.status === 'sent',
          supplierNotified: !!notice?.notificationId,
          ...(notice ?? {}),
        });
        return {
          handle: 'ok',
          output: poOutput({ ...po, status: 'cancelled' }, { cancelled: true, supplierNotified: !!notice?.notificationId, ...(notice ?? {}) }),
        };
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
      if (!validEmail(to))
        throw new DomainError(409, 'no_supplier_email', `Supplier ${po.supplier_code} has no email address to send ${po.number} to.`, {
          params: { supplier: po.supplier_code },
        });
      const rows = await poLines(em, po.id);
      const mail = renderPurchaseOrder(po.supplier_locale, {
        number: po.number,
        supplierName: po.supplier_name,
        currency: po.currency,
        expectedAt: po.expected_at,
        buyer: senderName(),
        warehouse: { code: po.warehouse, name: po.warehouse_name, line1: po.line1, city: po.city, postalCode: po.postal_code, country: po.country },
        lines: rows.map((l) => ({ sku: l.sku, name: l.name, quantity: l.quantity, unitCostMinor: l.unit_cost_minor })),
      });
      const notificationId = await enqueueMail(em, { key: `purchase-order:${po.number}`, template: 'purchase_order', to, locale: po.supplier_locale, mail });
      const lines = rows.map((l) => ({ sku: l.sku, quantity: l.quantity, unitCost: l.unit_cost_minor }));
      const supplier = { code: po.supplier_code, name: po.supplier_name, email: to };
      await setPoStatus(em, po, 'sent', workflowActor(input), { supplier: supplier.code, to, notificationId, subject: mail.subject });
      publish(em, 'inventory', 'po.sent', {
        purchaseOrderId: po.id,
        number: po.number,
        supplier,
        warehouse: po.warehouse,
        currency: po.currency,
        expectedAt: po.expected_at,
        lines,
        emailQueued: notificationId !== null,
        notificationId,
      });
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
        const lvl = await moveStock(
          em,
          {
            productId: line.product_id,
            warehouseId: po.warehouse_id,
            delta: quantity,
            kind: 'receipt',
            reason: 'purchase order received',
            reference: po.number,
          },
          actor,
          { createLevel: true },
        );
        await markLineReceived(em, line.id);
        audit(em, actor, {
          action: 'inventory.receipt',
          entityType: 'InventoryLevel',
          entityId: lvl.levelId,
          before: { onHand: lvl.onHandBefore },
          after: { onHand: lvl.onHand, delta: quantity, reason: `purchase order ${po.number}` },
        });
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
