// The purchasing screens (/purchasing): the purchase order list and page, the supplier list, and the
// two things a person does to a PO there: receive what arrived (in part or in full) and cancel it.
//
// Receiving from the console is the same receipt the Reorder flow's receive step (inventory.receivePo)
// makes: stock in through moveStock (ledger kind `receipt`, reference the PO number), the lines and
// the PO's status through markLineReceived / addLineReceived and setPoStatus, audited, in one
// transaction under the PO's row lock. A Reorder run that drafted the PO waits for `goods_received`
// and then receives everything still to come itself, so the console never signals a part delivery
// (the run would receive the rest, which has not arrived); when the console completes the PO it
// announces `po.goods_received` (outbox, same transaction) naming each running run that drafted it,
// and the dispatcher signals the run: its receive step then finds the PO received and changes nothing.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql as ksql } from 'kysely';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError, invalid } from '../../lib/errors.ts';
import { publish } from '../../lib/outbox.server.ts';
import type { FieldError } from '../../lib/problem.ts';
import { moveStock } from '../inventory/stock.server.ts';
import { addLineReceived, loadPo, markLineReceived, notifySupplierOfCancellation, OPEN_PO, poLines, setPoStatus, type PoStatus } from './service.server.ts';

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export interface PoListRow {
  id: number;
  number: string;
  status: PoStatus;
  supplierCode: string;
  supplierName: string;
  warehouse: string;
  lines: number;
  ordered: number;
  received: number;
  expectedAt: string | null;
  createdAt: string;
}

export interface PoListFilter {
  status?: PoStatus;
  supplier?: string;
  warehouse?: string;
  q?: string;
  limit: number;
  offset: number;
}

/** Purchase orders, newest first, by status, supplier code, warehouse code and part of the number. */
export async function listPurchaseOrders(em: EntityManager, f: PoListFilter): Promise<PoListRow[]> {
  const rows = await db(em)
    .selectFrom('purchase_order as po')
    .innerJoin('supplier as s', 's.id', 'po.supplier_id')
    .innerJoin('warehouse as w', 'w.id', 'po.warehouse_id')
    .select([
      'po.id',
      'po.number',
      'po.status',
      'po.expected_at',
      'po.created_at',
      's.code as supplier_code',
      's.name as supplier_name',
      'w.code as warehouse',
      ksql<number>`(select count(*)::int from purchase_order_line pl where pl.purchase_order_id = po.id)`.as('lines'),
      ksql<number>`(select coalesce(sum(pl.quantity), 0)::int from purchase_order_line pl where pl.purchase_order_id = po.id)`.as('ordered'),
      ksql<number>`(select coalesce(sum(pl.received), 0)::int from purchase_order_line pl where pl.purchase_order_id = po.id)`.as('received'),
    ])
    .$if(!!f.status, (q) => q.where('po.status', '=', f.status!))
    .$if(!!f.supplier, (q) => q.where('s.code', '=', f.supplier!))
    .$if(!!f.warehouse, (q) => q.where('w.code', '=', f.warehouse!))
    .$if(!!f.q, (q) => q.where('po.number', 'ilike', `%${f.q!.replace(/[\\%_]/g, (c) => `\\${c}`)}%`))
    .orderBy('po.created_at', 'desc')
    .orderBy('po.id', 'desc')
    .limit(f.limit)
    .offset(f.offset)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    number: r.number,
    status: r.status,
    supplierCode: r.supplier_code,
    supplierName: r.supplier_name,
    warehouse: r.warehouse,
    lines: Number(r.lines),
    ordered: Number(r.ordered),
    received: Number(r.received),
    expectedAt: iso(r.expected_at),
    createdAt: iso(r.created_at)!,
  }));
}

/** Suppliers and warehouses by code, for the list's filters. */
export async function purchasingFilterOptions(em: EntityManager) {
  const [suppliers, warehouses] = await Promise.all([
    db(em).selectFrom('supplier').select(['code', 'name']).orderBy('code').execute(),
    db(em).selectFrom('warehouse').select(['code', 'name']).orderBy('code').execute(),
  ]);
  return { suppliers, warehouses };
}

/** Running workflow runs that worked on the PO (a step's output names it): the Reorder run that drafted it. */
export async function runsOfPo(em: EntityManager, poId: number): Promise<string[]> {
  const rows = await db(em)
    .selectFrom('workflow_run as r')
    .select('r.workflow_id')
    .where('r.status', '=', 'running')
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('workflow_run_step as s')
          .select(ksql`1`.as('one'))
          .whereRef('s.run_id', '=', 'r.id')
          .where(ksql<boolean>`jsonb_path_exists(s.output_summary, '$.**.purchaseOrderId ? (@ == $id)', jsonb_build_object('id', ${poId}::int))`),
      ),
    )
    .orderBy('r.id')
    .execute();
  return rows.map((r) => r.workflow_id);
}

export interface PoPage {
  id: number;
  number: string;
  status: PoStatus;
  currency: string;
  expectedAt: string | null;
  createdAt: string;
  createdBy: string | null;
  updatedAt: string;
  supplier: { code: string; name: string; email: string; leadTimeDays: number };
  warehouse: { code: string; name: string };
  lines: { id: number; sku: string; name: string; quantity: number; received: number; remaining: number; unitCostMinor: number }[];
  history: { id: number; at: string; action: string; actor: string | null; from: string | null; to: string | null; reason: string | null }[];
  runs: string[];
}

/** One purchase order with its lines, supplier, status history (audit events) and the runs working on it; null when none. */
export async function getPurchaseOrder(em: EntityManager, id: number): Promise<PoPage | null> {
  const po = await db(em)
    .selectFrom('purchase_order as po')
    .innerJoin('supplier as s', 's.id', 'po.supplier_id')
    .innerJoin('warehouse as w', 'w.id', 'po.warehouse_id')
    .select([
      'po.id',
      'po.number',
      'po.status',
      'po.currency',
      'po.expected_at',
      'po.created_at',
      'po.created_by',
      'po.updated_at',
      's.code as supplier_code',
      's.name as supplier_name',
      's.email as supplier_email',
      's.lead_time_days',
      'w.code as warehouse_code',
      'w.name as warehouse_name',
    ])
    .where('po.id', '=', id)
    .executeTakeFirst();
  if (!po) return null;
  const [lines, events, runs] = await Promise.all([
    poLines(em, id),
    db(em)
      .selectFrom('audit_event')
      .select(['id', 'at', 'action', 'actor_label', 'before', 'after'])
      .where('entity_type', '=', 'PurchaseOrder')
      .where('entity_id', '=', String(id))
      .orderBy('at')
      .orderBy('id')
      .execute(),
    runsOfPo(em, id),
  ]);
  const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
  return {
    id: Number(po.id),
    number: po.number,
    status: po.status,
    currency: po.currency,
    expectedAt: iso(po.expected_at),
    createdAt: iso(po.created_at)!,
    createdBy: po.created_by,
    updatedAt: iso(po.updated_at)!,
    supplier: { code: po.supplier_code, name: po.supplier_name, email: po.supplier_email, leadTimeDays: Number(po.lead_time_days) },
    warehouse: { code: po.warehouse_code, name: po.warehouse_name },
    lines: lines.map((l) => ({
      id: Number(l.id),
      sku: l.sku,
      name: l.name,
      quantity: l.quantity,
      received: l.received,
      remaining: l.quantity - l.received,
      unitCostMinor: l.unit_cost_minor,
    })),
    history: events.map((e) => {
      const before = (e.before ?? {}) as Record<string, unknown>;
      const after = (e.after ?? {}) as Record<string, unknown>;
      return {
        id: Number(e.id),
        at: iso(e.at)!,
        action: e.action,
        actor: e.actor_label,
        from: text(before.status),
        to: text(after.status) ?? (e.action === 'purchase_order.drafted' ? 'draft' : null),
        reason: text(after.reason),
      };
    }),
    runs,
  };
}

export interface SupplierRow {
  id: number;
  code: string;
  name: string;
  email: string;
  currency: string;
  leadTimeDays: number;
  active: boolean;
  products: number;
  openPos: number;
}

/** Every supplier with how many products it offers and how many of its purchase orders are open. */
export async function listSuppliers(em: EntityManager): Promise<SupplierRow[]> {
  const rows = await db(em)
    .selectFrom('supplier as s')
    .select([
      's.id',
      's.code',
      's.name',
      's.email',
      's.currency',
      's.lead_time_days',
      's.active',
      ksql<number>`(select count(*)::int from supplier_product sp where sp.supplier_id = s.id)`.as('products'),
      ksql<number>`(select count(*)::int from purchase_order po where po.supplier_id = s.id and po.status = any(${OPEN_PO}::text[]))`.as('open_pos'),
    ])
    .orderBy('s.code')
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    code: r.code,
    name: r.name,
    email: r.email,
    currency: r.currency,
    leadTimeDays: Number(r.lead_time_days),
    active: r.active,
    products: Number(r.products),
    openPos: Number(r.open_pos),
  }));
}

export const RECEIVABLE: PoStatus[] = ['approved', 'sent', 'partially_received'];
export const CANCELLABLE: PoStatus[] = ['draft', 'approved', 'sent'];

/** The form field carrying a line's quantity to receive. */
export const qtyField = (lineId: number) => `qty-${lineId}`;

const poError = (field: string, code: string, params?: Record<string, string | number>): FieldError => ({
  field,
  code,
  messageKey: `purchasing.errors.${code}`,
  params,
});

async function lockedPo(em: EntityManager, id: number) {
  const po = await loadPo(em, id);
  if (!po) throw new DomainError(404, 'not_found', `Purchase order ${id} does not exist.`);
  return po;
}

export interface Receipt {
  number: string;
  status: PoStatus;
  received: { sku: string; quantity: number; onHand: number }[];
  signalled: string[];
}

/**
 * Receives what arrived of a purchase order: per line (form field `qty-<lineId>`) a whole number from
 * 0 to what is still to come; at least one unit in all. Stock, ledger, lines, status (partially
 * received, or received when nothing is left) and audit in one transaction; refused (422 naming the
 * field, 409 when the PO cannot be received) with nothing written.
 */
export async function receivePurchaseOrder(orm: MikroORM, id: number, input: Record<string, unknown>, actor: Actor): Promise<Receipt> {
  return orm.em.fork().transactional(async (em) => {
    const po = await lockedPo(em, id);
    if (!RECEIVABLE.includes(po.status))
      throw new DomainError(409, 'po_not_receivable', `Purchase order ${po.number} is ${po.status}; it cannot be received.`, {
        field: 'status',
        params: { number: po.number, status: po.status },
      });
    const lines = await poLines(em, po.id);
    const errors: FieldError[] = [];
    const known = new Set(lines.map((l) => qtyField(Number(l.id))));
    for (const key of Object.keys(input)) if (key.startsWith('qty-') && !known.has(key)) errors.push(poError(key, 'unknown_line'));
    const wanted = lines.map((l) => {
      const field = qtyField(Number(l.id));
      const remaining = l.quantity - l.received;
      const raw = input[field];
      const text = raw === undefined || raw === null ? '' : typeof raw === 'string' ? raw.trim() : null;
      if (text === null || (text !== '' && !/^-?\d{1,9}$/.test(text))) {
        errors.push(poError(field, 'not_whole_number', { value: typeof raw === 'string' ? raw.slice(0, 40) : '' }));
        return { line: l, quantity: 0, remaining };
      }
      const quantity = text === '' ? 0 : Number(text);
      if (quantity < 0) errors.push(poError(field, 'negative', { value: quantity }));
      else if (quantity > remaining) errors.push(poError(field, 'over_remaining', { value: quantity, remaining, sku: l.sku }));
      return { line: l, quantity, remaining };
    });
    if (!errors.length && !wanted.some((w) => w.quantity > 0)) errors.push(poError('lines', 'nothing_to_receive'));
    if (errors.length) throw invalid(errors);

    const received: Receipt['received'] = [];
    for (const { line, quantity, remaining } of wanted) {
      if (quantity <= 0) continue;
      const lvl = await moveStock(
        em,
        {
          productId: line.product_id,
          warehouseId: po.warehouse_id,
          delta: quantity,
          kind: 'receipt',
          reason: quantity === remaining ? 'purchase order received' : 'purchase order partially received',
          reference: po.number,
        },
        actor,
        { createLevel: true },
      );
      if (quantity === remaining) await markLineReceived(em, Number(line.id));
      else await addLineReceived(em, Number(line.id), quantity);
      audit(em, actor, {
        action: 'inventory.receipt',
        entityType: 'InventoryLevel',
        entityId: lvl.levelId,
        before: { onHand: lvl.onHandBefore },
        after: { onHand: lvl.onHand, delta: quantity, reason: `purchase order ${po.number}` },
      });
      received.push({ sku: line.sku, quantity, onHand: lvl.onHand });
    }
    const complete = wanted.every((w) => w.quantity === w.remaining);
    const status: PoStatus = complete ? 'received' : 'partially_received';
    await setPoStatus(em, po, status, actor, { received });
    const signalled = complete ? await runsOfPo(em, po.id) : [];
    for (const workflowId of signalled)
      publish(em, 'inventory', 'po.goods_received', { purchaseOrderId: po.id, number: po.number, workflowId, received, by: actor.label ?? null });
    return { number: po.number, status, received, signalled };
  });
}

/**
 * Cancels a purchase order nothing of which has been received (draft, approved or sent). A PO the
 * supplier already has is withdrawn by email (notifySupplierOfCancellation, same transaction).
 * 409 naming `status` otherwise; a reason over 500 characters is a 422 on `reason`.
 */
export async function cancelPurchaseOrder(
  orm: MikroORM,
  id: number,
  input: Record<string, unknown>,
  actor: Actor,
): Promise<{ number: string; supplierNotified: boolean; to: string | null; skipped?: string }> {
  const raw = input.reason;
  const reason = typeof raw === 'string' ? raw.trim() : '';
  if (raw !== undefined && typeof raw !== 'string') throw invalid([poError('reason', 'bad_reason')]);
  if (reason.length > 500) throw invalid([poError('reason', 'reason_too_long', { max: 500 })]);
  return orm.em.fork().transactional(async (em) => {
    const po = await lockedPo(em, id);
    if (!CANCELLABLE.includes(po.status))
      throw new DomainError(409, 'po_not_cancellable', `Purchase order ${po.number} is ${po.status}; it cannot be cancelled.`, {
        field: 'status',
        params: { number: po.number, status: po.status },
      });
    const notice = po.status === 'sent' ? await notifySupplierOfCancellation(em, po, reason || null) : null;
    await setPoStatus(em, po, 'cancelled', actor, {
      reason: reason || null,
      wasSent: po.status === 'sent',
      supplierNotified: !!notice?.notificationId,
      ...(notice ?? {}),
    });
    return { number: po.number, supplierNotified: !!notice?.notificationId, to: notice?.to ?? null, skipped: notice?.skipped };
  });
}
