// Order status changes after intake. Every change goes through `transition` (or `transitionNow`),
// which enforces the state machine, audits and announces it in the same transaction.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { HoldReason, OrderStatus } from '../../../entities/constants.ts';
import { audit, auditAndPublishMany, type Actor } from '../../lib/audit.server.ts';
import { publish } from '../../lib/outbox.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { prepare, sql } from '../../lib/db.server.ts';
import { releaseReservations } from '../inventory/reservations.server.ts';
import { canTransition } from './status.ts';

interface LockedOrder { id: number; number: string; status: OrderStatus; hold_reasons: HoldReason[] }

// Every workflow run moves orders, so these are prepared once per connection (app/lib/db.server.ts).
const LOCK_ORDER = prepare('order_lock', 'select id, number, status, hold_reasons from sales_order where id = $1 for update');
const SET_STATUS = prepare('order_set_status', 'update sales_order set status = $1, hold_reasons = $2::text[], updated_at = now() where id = $3');

async function lockOrder(em: EntityManager, orderId: number): Promise<LockedOrder> {
  const [row] = await sql<LockedOrder>(em, LOCK_ORDER, [orderId]);
  if (!row) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
  return row;
}

type TransitionExtra = { reason?: string; holdReasons?: HoldReason[] };

/** Checks and writes the move; returns it with its audit and outbox events, for the caller to record. */
async function move(em: EntityManager, orderId: number, to: OrderStatus, actor: Actor, extra: TransitionExtra) {
  const order = await lockOrder(em, orderId);
  if (!canTransition(order.status, to)) {
    throw new DomainError(409, 'illegal_transition', `Order ${order.number} cannot go from ${order.status} to ${to}.`, { field: 'status', params: { from: order.status, to } });
  }
  const holdReasons = to === 'on_hold' ? extra.holdReasons ?? ['manual'] : [];
  await sql(em, SET_STATUS, [to, holdReasons, orderId]);
  return {
    result: { ...order, from: order.status, status: to },
    audit: { actor, entry: { action: 'order.status_changed', entityType: 'Order', entityId: orderId, before: { status: order.status, holdReasons: order.hold_reasons }, after: { status: to, holdReasons, reason: extra.reason ?? null } } },
    event: { topic: 'orders' as const, type: 'order.status_changed', payload: { orderId, number: order.number, from: order.status, to } },
  };
}

/**
 * Moves an order to `to`; an illegal move is refused with 409 `illegal_transition`, never written.
 * Its audit and outbox rows join the unit of work (written at flush, after the transaction's earlier
 * `audit`/`publish` rows).
 */
export async function transition(em: EntityManager, orderId: number, to: OrderStatus, actor: Actor, extra: TransitionExtra = {}) {
  const m = await move(em, orderId, to, actor, extra);
  audit(em, m.audit.actor, m.audit.entry);
  publish(em, m.event.topic, m.event.type, m.event.payload);
  return m.result;
}

/**
 * `transition`, with its audit and outbox rows written at once (one prepared statement) instead of at
 * flush: for busy transactions whose audit and outbox rows are all written at once (auditNow,
 * publishNow, …), so that they keep their order. A transaction that has `audit`/`publish` rows waiting
 * for the flush uses `transition`, or its status change would be recorded before them.
 */
export async function transitionNow(em: EntityManager, orderId: number, to: OrderStatus, actor: Actor, extra: TransitionExtra = {}) {
  const m = await move(em, orderId, to, actor, extra);
  await auditAndPublishMany(em, [m.audit], [m.event]);
  return m.result;
}

/** Cancels an order and gives its reserved stock back. */
export async function cancelOrder(orm: MikroORM, orderId: number, actor: Actor, reason?: string) {
  return orm.em.fork().transactional(async (em) => {
    const result = await transitionNow(em, orderId, 'cancelled', actor, { reason });
    const released = await releaseReservations(em, orderId);
    if (released.length) {
      await auditAndPublishMany(em, [{ actor, entry: { action: 'inventory.released', entityType: 'Order', entityId: orderId, after: { levels: released } } }],
        [{ topic: 'inventory', type: 'stock.released', payload: { orderId, levels: released } }]);
    }
    return result;
  });
}

export const holdOrder = (orm: MikroORM, orderId: number, actor: Actor, reason?: string) =>
  orm.em.fork().transactional((em) => transitionNow(em, orderId, 'on_hold', actor, { reason, holdReasons: ['manual'] }));

/** Releases a held order to wait for payment (the staff member has looked and accepts the risk). */
export const releaseHold = (orm: MikroORM, orderId: number, actor: Actor, reason?: string) =>
  orm.em.fork().transactional((em) => transitionNow(em, orderId, 'awaiting_payment', actor, { reason }));
