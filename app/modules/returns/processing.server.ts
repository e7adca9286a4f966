// What happens to a return after it is opened, step by step, as the return flow's steps call it:
// received (and the order's returned status), inspected, the goods restocked (or that undone) or
// written off, the money refunded, or an exchange (a zero-charge replacement order, or that undone).
// Each step finds its own work done on a repeat and changes nothing; the RMA only moves forward
// (rma.server.ts), and every change is audited and announced in its transaction.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { OrderStatus } from '../../../entities/constants.ts';
import { audit, type Actor } from '../../lib/audit.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { evaluateBounded } from '../../lib/expressions.ts';
import { publish } from '../../lib/outbox.server.ts';
import { activeProducts } from '../catalog/queries.server.ts';
import { CANCELLABLE, canTransition } from '../orders/status.ts';
import { insertReplacementOrder, orderForReplacement, orderNumberAndStatus, orderDestination, siblingByRef, transition } from '../orders/service.server.ts';
import { firstLineByProduct, lowStockEvents } from '../inventory/allocation.server.ts';
import { insertReservations, loadStockOptions, releaseOrderStock, reserveAllocations } from '../inventory/reservations.server.ts';
import { planRouting } from '../inventory/routing.ts';
import { moveStock, takeAvailable } from '../inventory/stock.server.ts';
import { refundAcrossPayments } from '../payments/service.server.ts';
import {
  advance,
  announce,
  linkReplacement,
  loadReturn,
  productIds,
  refuseEnded,
  restockedOf,
  returnWarehouse,
  unlinkReplacement,
  wasDisposed,
} from './rma.server.ts';
import { refundDue, returnableLines } from './service.server.ts';
import { DEFAULT_PASS_EXPRESSION } from './inspection.ts';

/** What an exchange charges: nothing. The replacement ships at zero; a price difference is not modelled. */
const REPLACEMENT_PAYMENT_METHOD = 'exchange';

/**
 * Approved or received. When the goods are back the order becomes returned (nothing more can come
 * back) or partially returned.
 */
export async function advanceReturn(em: EntityManager, id: number, to: 'approved' | 'received', actor: Actor) {
  const r = await loadReturn(em, id, true);
  const changed = await advance(em, r, to, actor);
  let orderStatus: OrderStatus | null = null;
  if (to === 'received') {
    const o = await orderNumberAndStatus(em, r.order_id);
    const target: OrderStatus = (await returnableLines(em, r.order_id)).every((l) => l.returnable <= 0) ? 'returned' : 'partially_returned';
    orderStatus = o?.status ?? null;
    if (o && o.status !== target && canTransition(o.status, target)) {
      await transition(em, r.order_id, target, actor, { reason: `return ${r.number} received` });
      orderStatus = target;
    }
  }
  return { r, changed, orderStatus };
}

/** Resellable or damaged, by a JSONata expression over {reason, lines}; the RMA becomes inspected. */
export async function inspectReturn(orm: MikroORM, id: number, expression: string | undefined, actor: Actor) {
  const expr = expression?.trim() ? expression : DEFAULT_PASS_EXPRESSION;
  const r0 = await loadReturn(orm.em.fork(), id);
  let pass: unknown;
  try {
    pass = await evaluateBounded(expr, { reason: r0.reason, lines: r0.lines });
  } catch (e) {
    throw new DomainError(422, 'bad_expression', `passExpression "${expr}" failed: ${(e as Error).message}`, { field: 'passExpression' });
  }
  const result = pass ? ('resellable' as const) : ('damaged' as const);
  return orm.em.fork().transactional(async (em) => {
    const r = await loadReturn(em, id, true);
    const changed = await advance(em, r, 'inspected', actor, { result });
    return { r, result, changed };
  });
}

/** Puts the returned units back on hand where they shipped from (ledger kind 'return', reference the RMA), once. */
export async function restockReturn(em: EntityManager, id: number, actor: Actor) {
  const r = await loadReturn(em, id, true);
  refuseEnded(r);
  if ((await restockedOf(em, r.number)).length) return { r, restocked: false as const };
  const ids = await productIds(em, [...new Set(r.lines.map((l) => l.sku))]);
  const moved: { sku: string; warehouse: string; quantity: number; onHand: number }[] = [];
  for (const line of r.lines.filter((l) => l.quantity > 0)) {
    const productId = ids.get(line.sku)!;
    const warehouseId = await returnWarehouse(em, r.order_id, productId, line.sku);
    const lvl = await moveStock(
      em,
      { productId, warehouseId, delta: line.quantity, kind: 'return', reason: 'restocked from return', reference: r.number },
      actor,
      { createLevel: true },
    );
    moved.push({ sku: line.sku, warehouse: lvl.warehouse, quantity: line.quantity, onHand: lvl.onHand });
  }
  audit(em, actor, { action: 'return.restocked', entityType: 'Order', entityId: r.order_id, after: { rma: r.number, returnId: r.id, lines: moved } });
  return { r, restocked: true as const, lines: moved };
}

/**
 * Takes back what the RMA put on hand (its net ledger rows), as far as the units are not reserved
 * by other orders meanwhile; what could not be taken is reported as a shortfall.
 */
export async function unrestockReturn(em: EntityManager, id: number, actor: Actor) {
  const r = await loadReturn(em, id, true);
  const levels: { productId: number; warehouseId: number; quantity: number; shortfall: number }[] = [];
  for (const m of await restockedOf(em, r.number)) {
    const net = Number(m.net);
    const take = await takeAvailable(
      em,
      {
        productId: m.product_id,
        warehouseId: m.warehouse_id,
        quantity: net,
        kind: 'return',
        reason: 'restock reversed (workflow compensation)',
        reference: r.number,
      },
      actor,
    );
    levels.push({ productId: m.product_id, warehouseId: m.warehouse_id, quantity: take, shortfall: net - take });
  }
  if (levels.some((t) => t.quantity > 0))
    audit(em, actor, { action: 'return.unrestocked', entityType: 'Order', entityId: r.order_id, after: { rma: r.number, returnId: r.id, levels } });
  return { r, levels };
}

/** Damaged goods are written off: they never went back on hand, so only the decision is recorded (once). */
export async function disposeReturn(em: EntityManager, id: number, actor: Actor) {
  const r = await loadReturn(em, id, true);
  const done = await wasDisposed(em, r);
  if (!done) {
    audit(em, actor, { action: 'return.disposed', entityType: 'Order', entityId: r.order_id, after: { rma: r.number, returnId: r.id, lines: r.lines } });
    announce(em, r, r.status, { disposed: true });
  }
  return { r, changed: !done };
}

/**
 * Refunds what the returned lines are worth (refundDue: discounts and tax prorated) from the order's
 * captured payments, keyed by `key` so a retry never refunds twice; the RMA becomes refunded.
 */
export async function refundReturn(orm: MikroORM, id: number, key: string, actor: Actor) {
  const r = await loadReturn(orm.em.fork(), id);
  refuseEnded(r);
  if (r.status === 'refunded' || r.status === 'closed') return { r, refunded: false as const };
  const { amount } = await refundDue(orm.em.fork(), r.id);
  const paid = await refundAcrossPayments(orm, r.order_id, amount, key, actor);
  if (!paid.ok)
    return { r, refunded: false as const, failed: { amount, refunds: paid.refunds, reason: paid.reason, ...(paid.missing ? { missing: paid.missing } : {}) } };
  await orm.em.fork().transactional(async (em) => advance(em, await loadReturn(em, id, true), 'refunded', actor, { amount, refunds: paid.refunds }));
  return { r, refunded: true as const, amount, refunds: paid.refunds };
}

/**
 * The exchange: a replacement order for the returned lines (each line's replacementSku, else the same
 * SKU and quantity) at zero charge, under external id `ref`, for the original order's customer,
 * channel, currency and address. Its stock is reserved on locked levels by conditional UPDATEs (never
 * oversold), it starts `paid`, and its `order.created` event starts the order flow for it like any
 * other order. The RMA links it and becomes exchanged in the same transaction, so a retry finds it.
 * Not enough stock answers the shortages with nothing written.
 */
export async function exchangeReturn(em: EntityManager, id: number, ref: string, actor: Actor) {
  const r = await loadReturn(em, id, true);
  refuseEnded(r);
  if (r.replacement_order_id !== null) {
    const existing = await orderNumberAndStatus(em, r.replacement_order_id);
    return { r, created: false as const, replacementOrderId: r.replacement_order_id, replacementOrder: existing?.number };
  }
  if (r.status === 'exchanged' || r.status === 'closed') return { r, created: false as const };
  const o = await orderForReplacement(em, r.order_id);
  const wanted = r.lines.filter((l) => l.quantity > 0).map((l) => ({ sku: l.replacementSku || l.sku, quantity: l.quantity, returned: l.sku }));
  if (!wanted.length) throw new DomainError(422, 'validation_failed', `Return ${r.number} has nothing to exchange.`, { field: 'lines' });
  const products = await activeProducts(em, [...new Set(wanted.map((l) => l.sku))]);
  const demand = wanted.map((l) => ({ productId: products.get(l.sku)!.id, sku: l.sku, quantity: l.quantity }));
  const stock = await loadStockOptions(em, [...new Set(demand.map((d) => d.productId))], { lock: true });
  const routing = planRouting(orderDestination(o), demand, stock);
  if (!routing.ok) return { r, created: false as const, shortages: routing.shortages };
  const allocations = routing.plan.allocations;
  const reserved = await reserveAllocations(em, allocations);
  const order = await insertReplacementOrder(
    em,
    o,
    ref,
    REPLACEMENT_PAYMENT_METHOD,
    routing.plan.shipments === 1 ? allocations[0].warehouseId : null,
    demand.map((d) => ({ ...d, name: products.get(d.sku)!.name })),
  );
  await insertReservations(em, order.id, allocations, firstLineByProduct(demand.map((d, i) => ({ id: order.lineIds[i], product_id: d.productId }))));
  await linkReplacement(em, r, order.id);

  const reservations = allocations.map((x) => ({ sku: x.sku, warehouse: x.warehouseCode, quantity: x.quantity }));
  const lines = wanted.map((l) => ({ sku: l.sku, quantity: l.quantity, ...(l.sku !== l.returned ? { replaces: l.returned } : {}) }));
  audit(em, actor, {
    action: 'order.created',
    entityType: 'Order',
    entityId: order.id,
    after: {
      number: order.number,
      status: 'paid',
      path: ['received', 'validated', 'awaiting_payment', 'paid'],
      total: 0,
      currency: o.currency,
      holdReasons: [],
      replacementFor: { orderId: r.order_id, number: o.number, returnId: r.id, rma: r.number },
      lines,
      reservations,
    },
  });
  publish(em, 'orders', 'order.created', {
    orderId: order.id,
    number: order.number,
    channel: o.channel,
    status: 'paid',
    currency: o.currency,
    total: 0,
    holdReasons: [],
    replacementFor: r.order_id,
    returnId: r.id,
    rma: r.number,
  });
  for (const e of lowStockEvents(allocations, reserved)) publish(em, e.topic, e.type, e.payload);
  await advance(em, r, 'exchanged', actor, { replacementOrderId: order.id, replacementOrder: order.number, lines, reservations });
  return { r, created: true as const, replacementOrderId: order.id, replacementOrder: order.number, reservations };
}

/**
 * Undoes an exchange: cancels the replacement order made under `ref` (its reservations go back) while
 * it has not been packed, unlinks it and puts the RMA back where it was before the exchange. A
 * replacement already packed or shipped is left alone and reported.
 */
export async function undoExchange(em: EntityManager, id: number, ref: string, actor: Actor) {
  const r = await loadReturn(em, id, true);
  const o = await siblingByRef(em, r.order_id, ref);
  if (!o) return { r, cancelled: false as const, reason: 'not_created' };
  const replacement = { replacementOrderId: o.id, replacementOrder: o.number };
  if (o.status !== 'cancelled') {
    if (!CANCELLABLE.includes(o.status)) return { r, ...replacement, cancelled: false as const, reason: o.status as string };
    await transition(em, o.id, 'cancelled', actor, { reason: `exchange for ${r.number} undone (workflow compensation)` });
    await releaseOrderStock(em, o.id, actor);
  }
  if (r.replacement_order_id === o.id) await unlinkReplacement(em, r, o, actor);
  return { r, ...replacement, cancelled: true as const };
}
