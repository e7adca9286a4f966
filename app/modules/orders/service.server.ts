// Order status changes after intake. Every change goes through `transition`, which enforces the
// state machine, audits and announces it in the same transaction.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { HoldReason, OrderStatus } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { publish } from '../../lib/outbox.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { releaseReservations } from '../inventory/reservations.server.ts';
import { canTransition } from './status.ts';
import { textArray } from '../../lib/db.server.ts';

interface LockedOrder { id: number; number: string; status: OrderStatus; hold_reasons: HoldReason[] }

async function lockOrder(em: EntityManager, orderId: number): Promise<LockedOrder> {
  const [row] = await em.execute<LockedOrder[]>('select id, number, status, hold_reasons from sales_order where id = ? for update', [orderId]);
  if (!row) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
  return row;
}

/** Moves an order to `to`; an illegal move is refused with 409 `illegal_transition`, never written. */
export async function transition(em: EntityManager, orderId: number, to: OrderStatus, actor: Actor, extra: { reason?: string; holdReasons?: HoldReason[] } = {}) {
  const order = await lockOrder(em, orderId);
  if (!canTransition(order.status, to)) {
    throw new DomainError(409, 'illegal_transition', `Order ${order.number} cannot go from ${order.status} to ${to}.`, { field: 'status', params: { from: order.status, to } });
  }
  const holdReasons = to === 'on_hold' ? extra.holdReasons ?? ['manual'] : [];
  await em.execute('update sales_order set status = ?, hold_reasons = ?::text[], updated_at = now() where id = ?', [to, textArray(holdReasons), orderId]);
  audit(em, actor, { action: 'order.status_changed', entityType: 'Order', entityId: orderId, before: { status: order.status, holdReasons: order.hold_reasons }, after: { status: to, holdReasons, reason: extra.reason ?? null } });
  publish(em, 'orders', 'order.status_changed', { orderId, number: order.number, from: order.status, to });
  return { ...order, from: order.status, status: to };
}

/** Cancels an order and gives its reserved stock back. */
export async function cancelOrder(orm: MikroORM, orderId: number, actor: Actor, reason?: string) {
  return orm.em.fork().transactional(async (em) => {
    const result = await transition(em, orderId, 'cancelled', actor, { reason });
    const released = await releaseReservations(em, orderId);
    if (released.length) {
      audit(em, actor, { action: 'inventory.released', entityType: 'Order', entityId: orderId, after: { levels: released } });
      publish(em, 'inventory', 'stock.released', { orderId, levels: released });
    }
    return result;
  });
}

export const holdOrder = (orm: MikroORM, orderId: number, actor: Actor, reason?: string) =>
  orm.em.fork().transactional((em) => transition(em, orderId, 'on_hold', actor, { reason, holdReasons: ['manual'] }));

/** Releases a held order to wait for payment (the staff member has looked and accepts the risk). */
export const releaseHold = (orm: MikroORM, orderId: number, actor: Actor, reason?: string) =>
  orm.em.fork().transactional((em) => transition(em, orderId, 'awaiting_payment', actor, { reason }));
