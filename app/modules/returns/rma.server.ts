// The RMA's state machine and what it reads: requested → approved → received → inspected → refunded or
// exchanged → closed, with two ends before the goods are back (rejected, expired). A status only moves
// forward; every move is audited and announced in the caller's transaction. The returns plugin's steps
// (activities/nodes/returns.ts) drive it.
import type { EntityManager } from '@mikro-orm/postgresql';
import { sql } from 'kysely';
import type { ReturnReason } from '../../../entities/constants.ts';
import type { RETURN_STATUSES } from '../../../entities/returns.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { db } from '../../lib/db.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { publish } from '../../lib/outbox.server.ts';

export type ReturnStatus = (typeof RETURN_STATUSES)[number];
export type Ended = 'rejected' | 'expired';

export interface ReturnRow {
  id: number;
  number: string;
  order_id: number;
  status: ReturnStatus;
  reason: ReturnReason;
  resolution: string;
  lines: { sku: string; quantity: number; replacementSku?: string }[];
  replacement_order_id: number | null;
}

/** How far along an RMA is; a step never moves it back. */
export const RANK: Record<Exclude<ReturnStatus, Ended>, number> = {
  requested: 0,
  approved: 1,
  received: 2,
  inspected: 3,
  refunded: 4,
  exchanged: 4,
  closed: 5,
};

export async function loadReturn(em: EntityManager, id: number, lock = false): Promise<ReturnRow> {
  const r: ReturnRow | undefined = await db(em)
    .selectFrom('return_request')
    .select(['id', 'number', 'order_id', 'status', 'reason', 'resolution', 'lines', 'replacement_order_id'])
    .where('id', '=', id)
    .$if(lock, (q) => q.forUpdate())
    .executeTakeFirst();
  if (!r) throw new DomainError(404, 'not_found', `Return ${id} does not exist.`);
  return r;
}

export const announce = (em: EntityManager, r: ReturnRow, status: ReturnStatus, extra: Record<string, unknown> = {}) =>
  publish(em, 'service', 'return.updated', { returnId: r.id, rma: r.number, orderId: r.order_id, status, ...extra });

/** A rejected or expired RMA goes nowhere: 409 return_rejected / return_expired. */
export function refuseEnded(r: ReturnRow): asserts r is ReturnRow & { status: Exclude<ReturnStatus, Ended> } {
  if (r.status === 'rejected' || r.status === 'expired')
    throw new DomainError(409, `return_${r.status}`, `Return ${r.number} was ${r.status}.`, { params: { rma: r.number } });
}

/**
 * Moves the RMA forward to `to` with its audit event; false when it is there or further already.
 * A rejected RMA goes nowhere.
 */
export async function advance(
  em: EntityManager,
  r: ReturnRow,
  to: Exclude<ReturnStatus, Ended>,
  actor: Actor,
  after: Record<string, unknown> = {},
): Promise<boolean> {
  refuseEnded(r);
  if (RANK[r.status] >= RANK[to]) return false;
  await db(em)
    .updateTable('return_request')
    .set({ status: to, updated_at: sql`now()` })
    .where('id', '=', r.id)
    .execute();
  audit(em, actor, {
    action: `return.${to}`,
    entityType: 'Order',
    entityId: r.order_id,
    before: { rma: r.number, status: r.status },
    after: { rma: r.number, returnId: r.id, status: to, ...after },
  });
  announce(em, r, to, after);
  r.status = to;
  return true;
}

/** The warehouse a returned SKU goes back to: where it shipped from, else where it was reserved, else the order's, else the first active one. */
export async function returnWarehouse(em: EntityManager, orderId: number, productId: number, sku: string): Promise<number> {
  const [row] = await em.execute<{ id: number | null }[]>(
    `select coalesce(
       (select s.warehouse_id from shipment s where s.order_id = ? and exists (select 1 from jsonb_array_elements(s.lines) x where x ->> 'sku' = ?) order by s.id limit 1),
       (select r.warehouse_id from reservation r where r.order_id = ? and r.product_id = ? and r.status <> 'released' order by r.id limit 1),
       (select o.warehouse_id from sales_order o where o.id = ?),
       (select w.id from warehouse w where w.active order by w.id limit 1)) as id`,
    [orderId, sku, orderId, productId, orderId],
  );
  if (!row?.id) throw new DomainError(409, 'no_warehouse', `No warehouse to return ${sku} to.`);
  return row.id;
}

export async function productIds(em: EntityManager, skus: string[]): Promise<Map<string, number>> {
  const rows = skus.length ? await db(em).selectFrom('product').select(['id', 'sku']).where('sku', 'in', skus).execute() : [];
  const bySku = new Map(rows.map((p) => [p.sku, p.id]));
  const missing = skus.filter((s) => !bySku.has(s));
  if (missing.length) throw new DomainError(409, 'unknown_sku', `Unknown SKU ${missing.join(', ')}.`, { params: { sku: missing[0] } });
  return bySku;
}

/** Net units an RMA has put back on the shelves, per level (ledger rows of kind 'return' referencing it). */
export const restockedOf = (em: EntityManager, rma: string) =>
  db(em)
    .selectFrom('stock_movement')
    .select((eb) => ['product_id', 'warehouse_id', eb.fn.sum<string>('quantity').as('net')])
    .where('kind', '=', 'return')
    .where('reference', '=', rma)
    .groupBy(['product_id', 'warehouse_id'])
    .having((eb) => eb.fn.sum('quantity'), '>', 0)
    .orderBy('product_id')
    .orderBy('warehouse_id')
    .execute();

/**
 * Ends an RMA that will not go on: `rejected` (a person refused it) or `expired` (the parcel never came),
 * only before the goods are received; its units become returnable again. Idempotent: `changed` is false
 * when it had ended so already.
 */
export async function endReturn(em: EntityManager, id: number, to: Ended, actor: Actor): Promise<{ r: ReturnRow; changed: boolean }> {
  const r = await loadReturn(em, id, true);
  if (r.status === to) return { r, changed: false };
  if (r.status !== 'requested' && r.status !== 'approved') {
    throw new DomainError(409, 'return_too_far', `Return ${r.number} is ${r.status} and can no longer be ${to}.`, {
      params: { rma: r.number, status: r.status },
    });
  }
  await db(em)
    .updateTable('return_request')
    .set({ status: to, updated_at: sql`now()` })
    .where('id', '=', r.id)
    .execute();
  audit(em, actor, {
    action: `return.${to}`,
    entityType: 'Order',
    entityId: r.order_id,
    before: { rma: r.number, status: r.status },
    after: { rma: r.number, returnId: r.id, status: to },
  });
  announce(em, r, to);
  return { r, changed: true };
}

/** Links the replacement order an exchange created (in its transaction). */
export async function linkReplacement(em: EntityManager, r: ReturnRow, orderId: number): Promise<void> {
  await db(em)
    .updateTable('return_request')
    .set({ replacement_order_id: orderId, updated_at: sql`now()` })
    .where('id', '=', r.id)
    .execute();
  r.replacement_order_id = orderId;
}

/**
 * Unlinks a cancelled replacement and puts the RMA back where it was before the exchange (the status
 * the `return.exchanged` audit event moved it from), audited and announced. Returns that status.
 */
export async function unlinkReplacement(em: EntityManager, r: ReturnRow, replacement: { id: number; number: string }, actor: Actor): Promise<ReturnStatus> {
  const before = await db(em)
    .selectFrom('audit_event')
    .select(sql<ReturnStatus | null>`before ->> 'status'`.as('status'))
    .where('action', '=', 'return.exchanged')
    .where('entity_type', '=', 'Order')
    .where('entity_id', '=', String(r.order_id))
    .where(sql<number>`(after ->> 'replacementOrderId')::int`, '=', replacement.id)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const back: ReturnStatus = r.status === 'exchanged' ? (before?.status ?? 'inspected') : r.status;
  await db(em)
    .updateTable('return_request')
    .set({ replacement_order_id: null, status: back, updated_at: sql`now()` })
    .where('id', '=', r.id)
    .execute();
  audit(em, actor, {
    action: 'return.exchange_cancelled',
    entityType: 'Order',
    entityId: r.order_id,
    before: { rma: r.number, status: r.status, replacementOrderId: replacement.id },
    after: { rma: r.number, returnId: r.id, status: back, replacementOrderId: null },
  });
  announce(em, r, back, { replacementOrderId: null, replacementCancelled: replacement.number });
  return back;
}

/** Whether the RMA's goods were written off already (its `return.disposed` audit event). */
export async function wasDisposed(em: EntityManager, r: ReturnRow): Promise<boolean> {
  const done = await db(em)
    .selectFrom('audit_event')
    .select('id')
    .where('entity_type', '=', 'Order')
    .where('entity_id', '=', String(r.order_id))
    .where('action', '=', 'return.disposed')
    .where(sql<string>`after ->> 'rma'`, '=', r.number)
    .limit(1)
    .executeTakeFirst();
  return !!done;
}
