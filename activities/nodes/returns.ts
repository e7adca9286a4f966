// The returns plugin's activities: the RMA lifecycle (create, approve, receive, inspect), what
// happens to the goods (restock and its undo, dispose) and to the customer (refund, or an exchange:
// a zero-charge replacement order, and its undo).
// The RMA's status only moves forward (its state machine: app/modules/returns/rma.server.ts), so a
// repeated step finds its work done and changes nothing.
import { ApplicationFailure } from '@temporalio/common';
import jsonata from 'jsonata';
import type { OrderStatus } from '../../entities/constants.ts';
import type { Address } from '../../entities/customers.ts';
import { audit } from '../../app/lib/audit.server.ts';
import { publish } from '../../app/lib/outbox.server.ts';
import { DomainError, invalid } from '../../app/lib/errors.ts';
import { fieldErrors } from '../../app/lib/problem.ts';
import { CANCELLABLE, canTransition } from '../../app/modules/orders/status.ts';
import { transition } from '../../app/modules/orders/service.server.ts';
import { loadStockOptions, releaseReservations, reserveAllocations } from '../../app/modules/inventory/reservations.server.ts';
import { planRouting } from '../../app/modules/inventory/routing.ts';
import { moveStock } from '../../app/modules/inventory/stock.server.ts';
import { refundPayment } from '../../app/modules/payments/service.server.ts';
import {
  advance, announce, endReturn, loadReturn, productIds, refuseEnded, restockedOf, returnWarehouse, type Ended, type ReturnStatus,
} from '../../app/modules/returns/rma.server.ts';
import { refundDue, ReturnInput, RETURN_WINDOW_DAYS, returnableLines, returnWindowOpen } from '../../app/modules/returns/service.server.ts';
import type { NodeActivityInput } from '../../workflows/graph.ts';
import { isDomainError, keyDigest, lockKey, nodeActivity, originalKey, requireSubject, subjectId, workflowActor, type NodeActivity, type NodeDeps } from './shared.ts';

const DEFAULT_PASS_EXPRESSION = "reason != 'damaged'";

/** The replacement order an exchange step creates carries this external id (per channel), derived from the step's key. */
export const replacementRefForKey = (rma: string, key: string): string => `${rma}-X${keyDigest(key, 6)}`;

/** What an exchange charges: nothing. The replacement ships at zero; a price difference is not modelled. */
export const REPLACEMENT_PAYMENT_METHOD = 'exchange';

export function returnsNodeActivities({ orm }: NodeDeps) {
  const returnOf = (input: NodeActivityInput) => requireSubject(input, 'returnId');

  /**
   * The RMA of the run. A return.requested trigger already made it (its id is in the payload);
   * otherwise it is opened from the payload's orderId, lines and reason under a number derived
   * from the key (RMA-<8 hex of sha256(key)>), so a retry finds the one the first call made.
   */
  const createRma: NodeActivity = async (input) => {
    const payload = input.context.trigger.payload ?? {};
    const existingId = subjectId(input, 'returnId');
    if (existingId !== null) {
      const r = await loadReturn(orm.em.fork(), existingId);
      return { handle: 'ok', output: { returnId: r.id, rma: r.number, orderId: r.order_id, status: r.status, created: false } };
    }
    const orderId = requireSubject(input, 'orderId');
    const parsed = ReturnInput.safeParse({ reason: payload.reason ?? 'other', resolution: payload.resolution ?? 'refund', comment: payload.comment ?? undefined, lines: payload.lines });
    if (!parsed.success) throw invalid(fieldErrors(parsed.error));
    const wanted = parsed.data.lines.filter((l) => l.quantity > 0);
    const number = `RMA-${keyDigest(input.key, 8)}`;
    const actor = workflowActor(input);
    return orm.em.fork().transactional(async (em) => {
      await lockKey(em, `return:${number}`);
      const [found] = await em.execute<{ id: number; status: string }[]>('select id, status from return_request where number = ?', [number]);
      if (found) return { handle: 'ok', output: { returnId: found.id, rma: number, orderId, status: found.status, created: false } };
      const [o] = await em.execute<{ id: number; number: string }[]>('select id, number from sales_order where id = ? for update', [orderId]);
      if (!o) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
      if (!(await returnWindowOpen(em, orderId))) throw new DomainError(409, 'not_returnable', `Order ${o.number} cannot be returned now.`, { params: { days: RETURN_WINDOW_DAYS } });
      const allowed = await returnableLines(em, orderId);
      for (const l of wanted) {
        const a = allowed.find((x) => x.sku === l.sku);
        if (!a || l.quantity > a.returnable) throw new DomainError(409, 'not_returnable', `${l.quantity} × ${l.sku} cannot be returned from ${o.number}.`, { params: { sku: l.sku, max: a?.returnable ?? 0 } });
      }
      if (!wanted.length) throw new DomainError(422, 'validation_failed', 'Nothing to return.', { field: 'lines' });
      const [rma] = await em.execute<{ id: number }[]>(
        `insert into return_request (number, order_id, status, reason, comment, resolution, lines, source, created_at, updated_at)
         values (?, ?, 'requested', ?, ?, ?, ?, ?, now(), now()) returning id`,
        [number, orderId, parsed.data.reason, parsed.data.comment ?? null, parsed.data.resolution, JSON.stringify(wanted), 'workflow']);
      audit(em, actor, { action: 'return.requested', entityType: 'Order', entityId: orderId, after: { rma: number, returnId: rma.id, reason: parsed.data.reason, resolution: parsed.data.resolution, lines: wanted } });
      // Not `return.requested`: that event starts the return workflow, and this run handles the RMA itself.
      publish(em, 'service', 'return.updated', { returnId: rma.id, rma: number, orderId, status: 'requested' });
      return { handle: 'ok', output: { returnId: rma.id, rma: number, orderId, status: 'requested', created: true } };
    });
  };

  const step = (to: 'approved' | 'received') => async (input: NodeActivityInput) => {
    const id = returnOf(input);
    const actor = workflowActor(input);
    return orm.em.fork().transactional(async (em) => {
      const r = await loadReturn(em, id, true);
      const changed = await advance(em, r, to, actor);
      let orderStatus: OrderStatus | null = null;
      if (to === 'received') {
        // The goods are back: the order is returned when nothing more can come back, else partially returned.
        const [o] = await em.execute<{ status: OrderStatus }[]>('select status from sales_order where id = ? for update', [r.order_id]);
        const target: OrderStatus = (await returnableLines(em, r.order_id)).every((l) => l.returnable <= 0) ? 'returned' : 'partially_returned';
        orderStatus = o.status;
        if (o.status !== target && canTransition(o.status, target)) {
          await transition(em, r.order_id, target, actor, { reason: `return ${r.number} received` });
          orderStatus = target;
        }
      }
      return { handle: 'ok', output: { returnId: r.id, rma: r.number, orderId: r.order_id, status: r.status, changed, ...(orderStatus ? { orderStatus } : {}) } };
    });
  };

  /** Decides resellable or damaged by config.passExpression (JSONata over {reason, lines}); the RMA becomes inspected. */
  const inspect: NodeActivity = async (input) => {
    const id = returnOf(input);
    const expression = typeof input.config.passExpression === 'string' && input.config.passExpression.trim() ? input.config.passExpression : DEFAULT_PASS_EXPRESSION;
    const r0 = await loadReturn(orm.em.fork(), id);
    let pass: unknown;
    try {
      pass = await jsonata(expression).evaluate({ reason: r0.reason, lines: r0.lines });
    } catch (e) {
      throw ApplicationFailure.nonRetryable(`passExpression "${expression}" failed: ${(e as Error).message}`, 'bad_expression');
    }
    const result = pass ? 'resellable' : 'damaged';
    return orm.em.fork().transactional(async (em) => {
      const r = await loadReturn(em, id, true);
      const changed = await advance(em, r, 'inspected', workflowActor(input), { result });
      return { handle: result, output: { returnId: r.id, rma: r.number, orderId: r.order_id, result, changed } };
    });
  };

  /** Puts the returned units back on hand where they shipped from (ledger kind 'return', reference the RMA), once. */
  const restock: NodeActivity = async (input) => {
    const id = returnOf(input);
    const actor = workflowActor(input);
    return orm.em.fork().transactional(async (em) => {
      const r = await loadReturn(em, id, true);
      refuseEnded(r);
      if ((await restockedOf(em, r.number)).length) return { handle: 'ok', output: { returnId: r.id, rma: r.number, restocked: false } };
      const ids = await productIds(em, [...new Set(r.lines.map((l) => l.sku))]);
      const moved: { sku: string; warehouse: string; quantity: number; onHand: number }[] = [];
      for (const line of r.lines.filter((l) => l.quantity > 0)) {
        const productId = ids.get(line.sku)!;
        const warehouseId = await returnWarehouse(em, r.order_id, productId, line.sku);
        const lvl = await moveStock(em, { productId, warehouseId, delta: line.quantity, kind: 'return', reason: 'restocked from return', reference: r.number }, actor, { createLevel: true });
        moved.push({ sku: line.sku, warehouse: lvl.warehouse, quantity: line.quantity, onHand: lvl.onHand });
      }
      audit(em, actor, { action: 'return.restocked', entityType: 'Order', entityId: r.order_id, after: { rma: r.number, returnId: r.id, lines: moved } });
      return { handle: 'ok', output: { returnId: r.id, rma: r.number, restocked: true, lines: moved } };
    });
  };

  /**
   * Compensation of restock: takes back what the RMA put on hand (its net ledger rows), as far as
   * the units are not reserved by other orders meanwhile; what could not be taken is reported.
   */
  const unrestock: NodeActivity = async (input) => {
    const id = returnOf(input);
    const actor = workflowActor(input);
    return orm.em.fork().transactional(async (em) => {
      const r = await loadReturn(em, id, true);
      const taken: { productId: number; warehouseId: number; quantity: number; shortfall: number }[] = [];
      for (const m of await restockedOf(em, r.number)) {
        const net = Number(m.net);
        const [lvl] = await em.execute<{ on_hand: number; reserved: number }[]>('select on_hand, reserved from inventory_level where product_id = ? and warehouse_id = ? for update', [m.product_id, m.warehouse_id]);
        const take = Math.max(0, Math.min(net, lvl.on_hand - lvl.reserved));
        if (take > 0) await moveStock(em, { productId: m.product_id, warehouseId: m.warehouse_id, delta: -take, kind: 'return', reason: 'restock reversed (workflow compensation)', reference: r.number }, actor);
        taken.push({ productId: m.product_id, warehouseId: m.warehouse_id, quantity: take, shortfall: net - take });
      }
      if (taken.some((t) => t.quantity > 0)) audit(em, actor, { action: 'return.unrestocked', entityType: 'Order', entityId: r.order_id, after: { rma: r.number, returnId: r.id, levels: taken } });
      return { handle: 'ok', output: { returnId: r.id, rma: r.number, levels: taken } };
    });
  };

  /** Damaged goods are written off: they never went back on hand, so only the decision is recorded (once). */
  const dispose: NodeActivity = async (input) => {
    const id = returnOf(input);
    return orm.em.fork().transactional(async (em) => {
      const r = await loadReturn(em, id, true);
      const [done] = await em.execute<{ id: number }[]>(
        `select id from audit_event where entity_type = 'Order' and entity_id = ? and action = 'return.disposed' and after ->> 'rma' = ? limit 1`, [String(r.order_id), r.number]);
      if (!done) {
        audit(em, workflowActor(input), { action: 'return.disposed', entityType: 'Order', entityId: r.order_id, after: { rma: r.number, returnId: r.id, lines: r.lines } });
        announce(em, r, r.status, { disposed: true });
      }
      return { handle: 'ok', output: { returnId: r.id, rma: r.number, disposed: true, changed: !done } };
    });
  };

  /**
   * Refunds the returned lines' value (order unit price × quantity) from the order's captured
   * payments, oldest first, each refund keyed `<key>:p<paymentId>` so a retry never refunds twice.
   * Not enough captured money, or a refused refund, is `failed`; the RMA becomes refunded.
   */
  const refund: NodeActivity = async (input) => {
    const id = returnOf(input);
    const actor = workflowActor(input);
    const em = orm.em.fork();
    const r = await loadReturn(em, id);
    refuseEnded(r);
    if (r.status === 'refunded' || r.status === 'closed') return { handle: 'ok', output: { returnId: r.id, rma: r.number, refunded: false } };
    const { amount } = await refundDue(em, r.id);
    const payments = await em.execute<{ id: number; captured_minor: number; refunded_minor: number }[]>('select id, captured_minor, refunded_minor from payment where order_id = ? and captured_minor > 0 order by id', [r.order_id]);
    const keyFor = (paymentId: number) => `${input.key}:p${paymentId}`;
    const prior = payments.length
      ? await em.execute<{ payment_id: number; amount_minor: number; succeeded: boolean }[]>('select payment_id, amount_minor, succeeded from payment_operation where idempotency_key in (?)', [payments.map((p) => keyFor(p.id))])
      : [];
    const refunds: { paymentId: number; amount: number }[] = prior.filter((p) => p.succeeded).map((p) => ({ paymentId: p.payment_id, amount: p.amount_minor }));
    let left = amount - refunds.reduce((n, x) => n + x.amount, 0);
    for (const p of payments) {
      if (left <= 0) break;
      if (prior.some((x) => x.payment_id === p.id)) continue;
      const take = Math.min(left, p.captured_minor - p.refunded_minor);
      if (take <= 0) continue;
      try {
        await refundPayment(orm, p.id, take, keyFor(p.id), actor);
      } catch (e) {
        if (isDomainError(e, 'payment_declined', 'nothing_to_refund')) return { handle: 'failed', output: { returnId: r.id, rma: r.number, amount, refunds, reason: e.params?.reason ?? e.code } };
        throw e;
      }
      refunds.push({ paymentId: p.id, amount: take });
      left -= take;
    }
    if (left > 0) return { handle: 'failed', output: { returnId: r.id, rma: r.number, amount, refunds, missing: left, reason: 'not_enough_captured' } };
    return orm.em.fork().transactional(async (tx) => {
      const locked = await loadReturn(tx, id, true);
      await advance(tx, locked, 'refunded', actor, { amount, refunds });
      return { handle: 'ok', output: { returnId: r.id, rma: r.number, refunded: true, amount, refunds } };
    });
  };

  /**
   * The exchange: a replacement order for the returned lines (each line's replacementSku, else the
   * same SKU and quantity) at zero charge, for the original order's customer, channel, currency and
   * address. Its stock is reserved on locked levels by conditional UPDATEs (never oversold), it
   * starts `paid`, and its `order.created` event starts the order flow for it like any other order
   * (already paid: route, pick, pack, ship). The RMA links it and becomes exchanged in the same
   * transaction, so a retry finds it and creates nothing. Not enough stock is `insufficient`, with
   * nothing written.
   */
  const exchange: NodeActivity = async (input) => {
    const id = returnOf(input);
    const actor = workflowActor(input);
    return orm.em.fork().transactional(async (em) => {
      const r = await loadReturn(em, id, true);
      refuseEnded(r);
      if (r.replacement_order_id !== null) {
        const [existing] = await em.execute<{ number: string; status: string }[]>('select number, status from sales_order where id = ?', [r.replacement_order_id]);
        return { handle: 'ok', output: { returnId: r.id, rma: r.number, orderId: r.order_id, replacementOrderId: r.replacement_order_id, replacementOrder: existing?.number, created: false } };
      }
      if (r.status === 'exchanged' || r.status === 'closed') return { handle: 'ok', output: { returnId: r.id, rma: r.number, orderId: r.order_id, created: false } };
      const [o] = await em.execute<{ number: string; channel_id: number; channel: string; customer_id: number; customer_name: string | null; currency: string; delivery_method: string; shipping_address: Address }[]>(
        `select o.number, o.channel_id, c.code as channel, o.customer_id, o.customer_name, o.currency, o.delivery_method, o.shipping_address
           from sales_order o join channel c on c.id = o.channel_id where o.id = ?`, [r.order_id]);
      const wanted = r.lines.filter((l) => l.quantity > 0).map((l) => ({ sku: l.replacementSku || l.sku, quantity: l.quantity, returned: l.sku }));
      if (!wanted.length) throw new DomainError(422, 'validation_failed', `Return ${r.number} has nothing to exchange.`, { field: 'lines' });
      const skus = [...new Set(wanted.map((l) => l.sku))];
      const products = await em.execute<{ id: number; sku: string; name: string }[]>('select id, sku, name from product where sku in (?) and active', [skus]);
      const bySku = new Map(products.map((p) => [p.sku, p]));
      const missing = skus.filter((sku) => !bySku.has(sku));
      if (missing.length) throw new DomainError(409, 'unknown_sku', `Unknown SKU ${missing.join(', ')}.`, { params: { sku: missing[0] } });

      const demand = wanted.map((l) => ({ productId: bySku.get(l.sku)!.id, sku: l.sku, quantity: l.quantity }));
      const stock = await loadStockOptions(em, [...new Set(demand.map((d) => d.productId))], { lock: true });
      const a = o.shipping_address;
      const routing = planRouting(typeof a?.lat === 'number' && typeof a?.lng === 'number' ? { lat: a.lat, lng: a.lng } : null, demand, stock);
      if (!routing.ok) return { handle: 'insufficient', output: { returnId: r.id, rma: r.number, orderId: r.order_id, shortages: routing.shortages } };
      const allocations = routing.plan.allocations;
      const reserved = await reserveAllocations(em, allocations);

      const warehouseId = routing.plan.shipments === 1 ? allocations[0].warehouseId : null;
      const [order] = await em.execute<{ id: number; number: string }[]>(
        `insert into sales_order (channel_id, external_id, customer_id, customer_name, currency, subtotal_minor, shipping_minor, tax_minor, tax_included, discount_minor, total_minor, status,
                                  hold_reasons, payment_method, delivery_method, shipping_address, warehouse_id, placed_at, created_at, updated_at)
         values (?, ?, ?, ?, ?, 0, 0, 0, false, 0, 0, 'paid', '{}', ?, ?, ?, ?, now(), now(), now()) returning id, number`,
        [o.channel_id, replacementRefForKey(r.number, input.key), o.customer_id, o.customer_name, o.currency, REPLACEMENT_PAYMENT_METHOD, o.delivery_method, JSON.stringify(a), warehouseId]);
      const lineIds = await em.execute<{ id: number }[]>(
        `insert into order_line (order_id, product_id, sku, name, quantity, unit_price_minor, total_minor) values ${wanted.map(() => '(?, ?, ?, ?, ?, 0, 0)').join(', ')} returning id`,
        wanted.flatMap((l) => { const p = bySku.get(l.sku)!; return [order.id, p.id, l.sku, p.name, l.quantity]; }));
      const lineFor = new Map<number, number>();
      wanted.forEach((l, i) => { const pid = bySku.get(l.sku)!.id; if (!lineFor.has(pid)) lineFor.set(pid, lineIds[i].id); });
      await em.execute(
        `insert into reservation (order_id, line_id, product_id, warehouse_id, quantity, status, created_at) values ${allocations.map(() => `(?, ?, ?, ?, ?, 'active', now())`).join(', ')}`,
        allocations.flatMap((x) => [order.id, lineFor.get(x.productId)!, x.productId, x.warehouseId, x.quantity]));
      await em.execute('update return_request set replacement_order_id = ?, updated_at = now() where id = ?', [order.id, r.id]);

      const reservations = allocations.map((x) => ({ sku: x.sku, warehouse: x.warehouseCode, quantity: x.quantity }));
      const lines = wanted.map((l) => ({ sku: l.sku, quantity: l.quantity, ...(l.sku !== l.returned ? { replaces: l.returned } : {}) }));
      audit(em, actor, {
        action: 'order.created', entityType: 'Order', entityId: order.id,
        after: { number: order.number, status: 'paid', path: ['received', 'validated', 'awaiting_payment', 'paid'], total: 0, currency: o.currency, holdReasons: [],
          replacementFor: { orderId: r.order_id, number: o.number, returnId: r.id, rma: r.number }, lines, reservations },
      });
      publish(em, 'orders', 'order.created', {
        orderId: order.id, number: order.number, channel: o.channel, status: 'paid', currency: o.currency, total: 0, holdReasons: [],
        replacementFor: r.order_id, returnId: r.id, rma: r.number,
      });
      for (const x of reserved.filter((y) => y.becameLow)) {
        const al = allocations.find((y) => y.levelId === x.levelId)!;
        publish(em, 'inventory', 'stock.low', { levelId: x.levelId, sku: al.sku, warehouse: al.warehouseCode });
      }
      await advance(em, r, 'exchanged', actor, { replacementOrderId: order.id, replacementOrder: order.number, lines, reservations });
      return { handle: 'ok', output: { returnId: r.id, rma: r.number, orderId: r.order_id, replacementOrderId: order.id, replacementOrder: order.number, created: true, reservations } };
    });
  };

  /**
   * Compensation of exchange: cancels the replacement order the step created (its reservations go
   * back) while it has not been packed, unlinks it and puts the RMA back where it was before the
   * exchange. A replacement already packed or shipped is left alone and reported.
   */
  const cancelExchange: NodeActivity = async (input) => {
    const id = returnOf(input);
    const actor = workflowActor(input);
    return orm.em.fork().transactional(async (em) => {
      const r = await loadReturn(em, id, true);
      const [o] = await em.execute<{ id: number; number: string; status: OrderStatus }[]>(
        `select o.id, o.number, o.status from sales_order o join sales_order orig on orig.channel_id = o.channel_id
          where orig.id = ? and o.external_id = ? for update of o`, [r.order_id, replacementRefForKey(r.number, originalKey(input.key))]);
      if (!o) return { handle: 'ok', output: { returnId: r.id, rma: r.number, cancelled: false, reason: 'not_created' } };
      const base = { returnId: r.id, rma: r.number, replacementOrderId: o.id, replacementOrder: o.number };
      if (o.status !== 'cancelled') {
        if (!CANCELLABLE.includes(o.status)) return { handle: 'ok', output: { ...base, cancelled: false, reason: o.status } };
        await transition(em, o.id, 'cancelled', actor, { reason: `exchange for ${r.number} undone (workflow compensation)` });
        const released = await releaseReservations(em, o.id);
        if (released.length) {
          audit(em, actor, { action: 'inventory.released', entityType: 'Order', entityId: o.id, after: { levels: released } });
          publish(em, 'inventory', 'stock.released', { orderId: o.id, levels: released });
        }
      }
      if (r.replacement_order_id === o.id) {
        const [before] = await em.execute<{ status: ReturnStatus | null }[]>(
          `select before ->> 'status' as status from audit_event where action = 'return.exchanged' and entity_type = 'Order' and entity_id = ? and (after ->> 'replacementOrderId')::int = ? order by id desc limit 1`,
          [String(r.order_id), o.id]);
        const back: ReturnStatus = r.status === 'exchanged' ? before?.status ?? 'inspected' : r.status;
        await em.execute('update return_request set replacement_order_id = null, status = ?, updated_at = now() where id = ?', [back, r.id]);
        audit(em, actor, { action: 'return.exchange_cancelled', entityType: 'Order', entityId: r.order_id, before: { rma: r.number, status: r.status, replacementOrderId: o.id }, after: { rma: r.number, returnId: r.id, status: back, replacementOrderId: null } });
        announce(em, r, back, { replacementOrderId: null, replacementCancelled: o.number });
      }
      return { handle: 'ok', output: { ...base, cancelled: true } };
    });
  };

  /** returns.reject / returns.expire: the RMA ends (rma.server.ts endReturn). */
  const end = (to: Ended) => async (input: NodeActivityInput) => {
    const id = returnOf(input);
    return orm.em.fork().transactional(async (em) => {
      const { r, changed } = await endReturn(em, id, to, workflowActor(input));
      return { handle: 'ok', output: { returnId: r.id, rma: r.number, orderId: r.order_id, status: to, changed } };
    });
  };

  const activities = {
    'returns.createRma': createRma,
    'returns.reject': end('rejected'),
    'returns.expire': end('expired'),
    'returns.approve': step('approved'),
    'returns.receive': step('received'),
    'returns.inspect': inspect,
    'returns.restock': restock,
    'returns.unrestock': unrestock,
    'returns.dispose': dispose,
    'returns.refund': refund,
    'returns.exchange': exchange,
    'returns.cancelExchange': cancelExchange,
  };
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, nodeActivity(fn)])) as typeof activities;
}
