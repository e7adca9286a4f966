// Order status changes after intake. Every change goes through `transition` (or `transitionNow`),
// which enforces the state machine, audits and announces it in the same transaction.
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { sql as ksql } from 'kysely';
import type { DeliveryMethod, HoldReason, OrderStatus } from '../../../entities/constants.ts';
import type { Address } from '../../../entities/customers.ts';
import { audit, auditAndPublishMany, type Actor } from '../../lib/audit.server.ts';
import { publish } from '../../lib/outbox.server.ts';
import { DomainError } from '../../lib/errors.ts';
import { db, jsonb, prepare, sql } from '../../lib/db.server.ts';
import { releaseOrderStock } from '../inventory/reservations.server.ts';
import { canTransition } from './status.ts';
import { currencyExponent } from '../../lib/money.ts';
import { defaultBaseCurrency } from '../customers/queries.server.ts';
import { sqlText, unitCostSql } from '../purchasing/costs.ts';

interface LockedOrder {
  id: number;
  number: string;
  status: OrderStatus;
  hold_reasons: HoldReason[];
}

// Every workflow run moves orders, so these are prepared once per connection (app/lib/db.server.ts).
const LOCK_ORDER = prepare('order_lock', 'select id, number, status, hold_reasons from sales_order where id = $1 for update');
// A cancelled order keeps the reason it was cancelled with ('' when none was given), for the fulfilment report.
const SET_STATUS = prepare(
  'order_set_status',
  `update sales_order set status = $1, hold_reasons = $2::text[], cancel_reason = case when $1 = 'cancelled' then coalesce($4::text, '') else cancel_reason end,
          updated_at = now() where id = $3`,
);

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
    throw new DomainError(409, 'illegal_transition', `Order ${order.number} cannot go from ${order.status} to ${to}.`, {
      field: 'status',
      params: { from: order.status, to },
    });
  }
  const holdReasons = to === 'on_hold' ? (extra.holdReasons ?? ['manual']) : [];
  await sql(em, SET_STATUS, [to, holdReasons, orderId, to === 'cancelled' ? (extra.reason ?? '') : null]);
  return {
    result: { ...order, from: order.status, status: to },
    audit: {
      actor,
      entry: {
        action: 'order.status_changed',
        entityType: 'Order',
        entityId: orderId,
        before: { status: order.status, holdReasons: order.hold_reasons },
        after: { status: to, holdReasons, reason: extra.reason ?? null },
      },
    },
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
    await releaseOrderStock(em, orderId, actor);
    return result;
  });
}

export const holdOrder = (orm: MikroORM, orderId: number, actor: Actor, reason?: string) =>
  orm.em.fork().transactional((em) => transitionNow(em, orderId, 'on_hold', actor, { reason, holdReasons: ['manual'] }));

/** Releases a held order to wait for payment (the staff member has looked and accepts the risk). */
export const releaseHold = (orm: MikroORM, orderId: number, actor: Actor, reason?: string) =>
  orm.em.fork().transactional((em) => transitionNow(em, orderId, 'awaiting_payment', actor, { reason }));

// ---- The order as flows read it, and the order's own fields that steps set ----

export interface OrderHead {
  id: number;
  number: string;
  status: OrderStatus;
  hold_reasons: HoldReason[];
  payment_method: string;
  currency: string;
  subtotal_minor: number;
  shipping_minor: number;
  tax_minor: number;
  tax_included: boolean;
  discount_minor: number;
  total_minor: number;
  shipping_address: Address;
  warehouse_id: number | null;
  payment_token: string | null;
}
export interface OrderLineRow {
  id: number;
  product_id: number;
  sku: string;
  quantity: number;
  unit_price_minor: number;
  total_minor: number;
}

// Every run of an order flow reads these (validate, reserve, authorise, route), so they are prepared
// once per connection (app/lib/db.server.ts) instead of parsed and planned each time.
const HEAD = `select id, number, status, hold_reasons, payment_method, currency, subtotal_minor, shipping_minor, tax_minor, tax_included, discount_minor, total_minor,
            shipping_address, warehouse_id, payment_token
       from sales_order where id = $1`;
const LOAD_HEAD = prepare('order_head', HEAD);
const LOCK_HEAD = prepare('order_head_locked', `${HEAD} for update`);
const HOLD_REASONS = prepare('order_hold_reasons', 'select hold_reasons from sales_order where id = $1');
const ORDER_LINES = prepare(
  'order_lines',
  'select id, product_id, sku, quantity, unit_price_minor, total_minor from order_line where order_id = $1 order by id',
);
const SET_WAREHOUSE = prepare('order_set_warehouse', 'update sales_order set warehouse_id = $1, updated_at = now() where id = $2');

/** The order's header (locked for the transaction with `lock`); 404 not_found when there is none. */
export async function loadOrderHead(em: EntityManager, orderId: number, lock = false): Promise<OrderHead> {
  const [o] = await sql<OrderHead>(em, lock ? LOCK_HEAD : LOAD_HEAD, [orderId]);
  if (!o) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
  return o;
}

export const orderLines = (em: EntityManager, orderId: number) => sql<OrderLineRow>(em, ORDER_LINES, [orderId]);

/** Where the parcel goes, for routing (null when the address has no coordinates). */
export const orderDestination = (o: Pick<OrderHead, 'shipping_address'>) =>
  typeof o.shipping_address?.lat === 'number' && typeof o.shipping_address?.lng === 'number'
    ? { lat: o.shipping_address.lat, lng: o.shipping_address.lng }
    : null;

/** Records the warehouse that ships the whole order. */
export async function setOrderWarehouse(em: EntityManager, orderId: number, warehouseId: number): Promise<void> {
  await sql(em, SET_WAREHOUSE, [warehouseId, orderId]);
}

/** Records the warehouse when the order has none yet and all its active reservations are there. */
export async function settleOrderWarehouse(em: EntityManager, orderId: number, warehouseId: number): Promise<void> {
  await db(em)
    .updateTable('sales_order')
    .set({ warehouse_id: warehouseId })
    .where('id', '=', orderId)
    .where('warehouse_id', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('reservation as r')
            .select(ksql.lit(1).as('one'))
            .where('r.order_id', '=', orderId)
            .where('r.status', '=', 'active')
            .where('r.warehouse_id', '<>', warehouseId),
        ),
      ),
    )
    .execute();
}

/** What is wrong with an order's lines and totals (empty when it is whole). */
function orderProblems(o: OrderHead, lines: OrderLineRow[]): string[] {
  const problems: string[] = [];
  if (!lines.length) problems.push('no_lines');
  if (lines.some((l) => l.quantity * l.unit_price_minor !== l.total_minor)) problems.push('line_total_mismatch');
  if (lines.reduce((n, l) => n + l.total_minor, 0) !== o.subtotal_minor) problems.push('subtotal_mismatch');
  if (o.subtotal_minor + o.shipping_minor + (o.tax_included ? 0 : o.tax_minor) - o.discount_minor !== o.total_minor) problems.push('total_mismatch');
  return problems;
}

/**
 * Checks the order is whole (lines, totals add up) and says whether it waits for a person. A
 * received order moves to validated (or on hold when something is off); otherwise reads only.
 */
export async function validateOrder(em: EntityManager, orderId: number, actor: Actor) {
  const o = await loadOrderHead(em, orderId, true);
  if (o.status === 'cancelled' || o.status === 'returned')
    throw new DomainError(409, 'order_closed', `Order ${o.number} is ${o.status}.`, { params: { status: o.status } });
  const problems = orderProblems(o, await orderLines(em, orderId));
  const hold = o.status === 'on_hold' || problems.length > 0;
  let status = o.status;
  let holdReasons = o.hold_reasons;
  if (o.status === 'received') {
    const to: OrderStatus = hold ? 'on_hold' : 'validated';
    await transitionNow(em, orderId, to, actor, {
      reason: problems.length ? `validation: ${problems.join(', ')}` : 'validated by workflow',
      holdReasons: hold ? ['manual'] : undefined,
    });
    status = to;
    [{ hold_reasons: holdReasons }] = await sql<{ hold_reasons: HoldReason[] }>(em, HOLD_REASONS, [orderId]);
  }
  // Unless it moved, the order is as read: its row is locked until the transaction ends.
  return { hold, order: o, status, holdReasons, problems };
}

/** Puts the order on hold in em's transaction; false when it already is. */
export async function holdOrderIn(em: EntityManager, orderId: number, actor: Actor, reason: string): Promise<boolean> {
  const o = await loadOrderHead(em, orderId, true);
  if (o.status === 'on_hold') return false;
  await transitionNow(em, orderId, 'on_hold', actor, { reason, holdReasons: ['manual'] });
  return true;
}

// ---- Replacement orders (exchanges) ----

/** What a replacement order copies from the order it replaces. */
export interface ReplacedOrder {
  id: number;
  number: string;
  channel_id: number;
  channel: string;
  customer_id: number;
  customer_name: string | null;
  currency: string;
  delivery_method: DeliveryMethod;
  shipping_address: Address;
}

export async function orderForReplacement(em: EntityManager, orderId: number): Promise<ReplacedOrder> {
  const o: ReplacedOrder | undefined = await db(em)
    .selectFrom('sales_order as o')
    .innerJoin('channel as c', 'c.id', 'o.channel_id')
    .select([
      'o.id',
      'o.number',
      'o.channel_id',
      'c.code as channel',
      'o.customer_id',
      'o.customer_name',
      'o.currency',
      'o.delivery_method',
      'o.shipping_address',
    ])
    .where('o.id', '=', orderId)
    .executeTakeFirst();
  if (!o) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
  return o;
}

/**
 * A zero-charge order for `lines`, for the replaced order's customer, channel, currency and address,
 * starting `paid` under its own external id (`ref`). Returns its id, number and line ids (by position).
 * The caller reserves its stock and records the events in the same transaction.
 */
export async function insertReplacementOrder(
  em: EntityManager,
  of: ReplacedOrder,
  ref: string,
  paymentMethod: string,
  warehouseId: number | null,
  lines: { productId: number; sku: string; name: string; quantity: number }[],
): Promise<{ id: number; number: string; lineIds: number[] }> {
  const base = defaultBaseCurrency();
  const order = await db(em)
    .insertInto('sales_order')
    .values({
      channel_id: of.channel_id,
      external_id: ref,
      customer_id: of.customer_id,
      customer_name: of.customer_name,
      currency: of.currency,
      subtotal_minor: 0,
      shipping_minor: 0,
      tax_minor: 0,
      tax_included: false,
      discount_minor: 0,
      total_minor: 0,
      total_base_minor: 0,
      status: 'paid',
      hold_reasons: [],
      payment_method: paymentMethod,
      delivery_method: of.delivery_method,
      shipping_address: jsonb(of.shipping_address),
      warehouse_id: warehouseId,
      placed_at: ksql`now()`,
      created_at: ksql`now()`,
      updated_at: ksql`now()`,
    })
    .returning(['id', 'number'])
    .executeTakeFirstOrThrow();
  const lineIds = await db(em)
    .insertInto('order_line')
    .values(
      lines.map((l) => ({
        order_id: order.id,
        product_id: l.productId,
        sku: l.sku,
        name: l.name,
        quantity: l.quantity,
        unit_price_minor: 0,
        total_minor: 0,
        // Free to the customer, not to us: the goods are costed like any sale's.
        unit_cost_base_minor: ksql<number | null>`${ksql.raw(unitCostSql(String(Number(l.productId)), sqlText(base), String(currencyExponent(base))))}`,
      })),
    )
    .returning('id')
    .execute();
  return { id: order.id, number: order.number, lineIds: lineIds.map((l) => l.id) };
}

/** The order on the same channel as `orderId` with external id `ref` (a replacement), locked. */
export async function siblingByRef(em: EntityManager, orderId: number, ref: string) {
  const o = await db(em)
    .selectFrom('sales_order as o')
    .innerJoin('sales_order as orig', 'orig.channel_id', 'o.channel_id')
    .select(['o.id', 'o.number', 'o.status'])
    .where('orig.id', '=', orderId)
    .where('o.external_id', '=', ref)
    .forUpdate('o')
    .executeTakeFirst();
  return o ?? null;
}

export async function orderNumberAndStatus(em: EntityManager, orderId: number) {
  const o = await db(em).selectFrom('sales_order').select(['number', 'status']).where('id', '=', orderId).executeTakeFirst();
  return o ?? null;
}

/** Statuses in which the parcel's address may still change (nothing picked yet). */
export const ADDRESS_CHANGEABLE: readonly OrderStatus[] = ['received', 'validated', 'on_hold', 'awaiting_payment', 'paid', 'allocated'];

/**
 * Changes where an order ships, before picking starts (a customer's correction taken by an agent).
 * Refused with 409 `address_locked` once picking began; audited with the old and new address.
 */
export async function changeShippingAddress(em: EntityManager, orderId: number, address: Address, actor: Actor): Promise<{ changed: boolean }> {
  const order = await lockOrder(em, orderId);
  if (!ADDRESS_CHANGEABLE.includes(order.status))
    throw new DomainError(409, 'address_locked', `Order ${order.number} is ${order.status}; its address can no longer change.`, {
      field: 'address',
      params: { status: order.status },
    });
  const before = await db(em).selectFrom('sales_order').select('shipping_address').where('id', '=', orderId).executeTakeFirstOrThrow();
  if (JSON.stringify(before.shipping_address) === JSON.stringify(address)) return { changed: false };
  await db(em)
    .updateTable('sales_order')
    .set({ shipping_address: jsonb(address), updated_at: ksql`now()` })
    .where('id', '=', orderId)
    .execute();
  audit(em, actor, {
    action: 'order.address_changed',
    entityType: 'Order',
    entityId: orderId,
    before: { address: before.shipping_address },
    after: { address },
  });
  publish(em, 'orders', 'order.updated', { orderId, number: order.number, changed: ['shippingAddress'] });
  return { changed: true };
}
