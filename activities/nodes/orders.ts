// The order plugin's activities: validate, hold, reserve/release, route, authorise/void,
// capture/refund, pick list/cancel, ship and cancel. Each is idempotent by its key: a retry or a
// replay finds what the first call did (by the payment idempotency key, or by the order's state)
// and answers the same without changing anything again.
import type { EntityManager } from '@mikro-orm/postgresql';
import { WAREHOUSE_DEFAULT_PICK, type HoldReason, type OrderStatus } from '../../entities/constants.ts';
import type { Address } from '../../entities/customers.ts';
import { audit, auditAndPublishMany } from '../../app/lib/audit.server.ts';
import { publish, type OutboxRow } from '../../app/lib/outbox.server.ts';
import { prepare, sql } from '../../app/lib/db.server.ts';
import { DomainError } from '../../app/lib/errors.ts';
import { cancelOrder, transition, transitionNow } from '../../app/modules/orders/service.server.ts';
import { loadStockOptions, releaseReservations, reserveAllocations } from '../../app/modules/inventory/reservations.server.ts';
import { planRouting } from '../../app/modules/inventory/routing.ts';
import { capturePayment, createPayment, refundPayment, voidPayment } from '../../app/modules/payments/service.server.ts';
import { providerForMethod } from '../../app/modules/payments/providers/index.ts';
import { pickListsForOrders, shipOrder } from '../../app/modules/fulfilment/service.server.ts';
import type { NodeActivityInput } from '../../workflows/graph.ts';
import { isDomainError, nodeActivity, originalKey, requireSubject, workflowActor, type NodeActivity, type NodeDeps } from './shared.ts';

/**
 * The card used for a `test-card` order when the trigger carries none: the simulated gateway's
 * success card (test-card is a simulated gateway, labelled as such; it never moves real money).
 */
/** The simulated gateway's token for a test card that succeeds (orders that came with no token of their own). */
export const SIMULATED_TOKEN = 'tok_visa';

interface OrderRow {
  id: number; number: string; status: OrderStatus; hold_reasons: HoldReason[]; payment_method: string; currency: string;
  subtotal_minor: number; shipping_minor: number; tax_minor: number; tax_included: boolean; discount_minor: number; total_minor: number;
  shipping_address: Address; warehouse_id: number | null; payment_token: string | null;
}

// The statements every run of an order flow makes (validate, reserve, authorise, capture, route),
// prepared once per connection (app/lib/db.server.ts) instead of parsed and planned each time. The
// steps on that path write their audit and outbox rows at once too (auditAndPublishMany, transitionNow),
// in the order the events happen.
const ORDER_QUERY = `select id, number, status, hold_reasons, payment_method, currency, subtotal_minor, shipping_minor, tax_minor, tax_included, discount_minor, total_minor,
            shipping_address, warehouse_id, payment_token
       from sales_order where id = $1`;
const LOAD_ORDER = prepare('node_order', ORDER_QUERY);
const LOCK_ORDER = prepare('node_order_locked', `${ORDER_QUERY} for update`);
const HOLD_REASONS = prepare('node_order_hold_reasons', 'select hold_reasons from sales_order where id = $1');
const ORDER_LINES = prepare('node_order_lines', 'select id, product_id, sku, quantity, unit_price_minor, total_minor from order_line where order_id = $1 order by id');
const SET_WAREHOUSE = prepare('node_order_set_warehouse', 'update sales_order set warehouse_id = $1, updated_at = now() where id = $2');
const RESERVATIONS = prepare('node_order_reservations', `select p.sku, w.code as warehouse, r.warehouse_id, r.quantity, r.status
       from reservation r join product p on p.id = r.product_id join warehouse w on w.id = r.warehouse_id
      where r.order_id = $1 and r.status = any($2::text[]) order by r.id`);
const INSERT_RESERVATIONS = prepare('node_order_reserve', `insert into reservation (order_id, line_id, product_id, warehouse_id, quantity, status, created_at)
  select $1, t.line_id, t.product_id, t.warehouse_id, t.quantity, 'active', now()
    from unnest($2::int[], $3::int[], $4::int[], $5::int[]) with ordinality as t(line_id, product_id, warehouse_id, quantity, n) order by t.n`);
const OPERATION = prepare('node_payment_operation', 'select payment_id, kind, amount_minor, succeeded, error_code from payment_operation where idempotency_key = $1');
const AUTHORISED_BY_RUN = prepare('node_payment_authorised_by_run', `select p.id from payment p join payment_operation op on op.payment_id = p.id
          where p.order_id = $1 and op.kind = 'authorise' and op.succeeded and left(op.idempotency_key, $2) = $3 and p.status in ('authorised', 'partially_captured')
          order by p.id desc limit 1`);
const NEWEST_AUTHORISED = prepare('node_payment_newest_authorised', `select id from payment where order_id = $1 and status in ('authorised', 'partially_captured') order by id desc limit 1`);
const COVERED = prepare('node_payment_covered',
  'select o.total_minor, coalesce((select sum(captured_minor - refunded_minor) from payment where order_id = o.id), 0) as covered from sales_order o where o.id = $1');

interface LineRow { id: number; product_id: number; sku: string; quantity: number; unit_price_minor: number; total_minor: number }

async function loadOrder(em: EntityManager, orderId: number, lock = false): Promise<OrderRow> {
  const [o] = await sql<OrderRow>(em, lock ? LOCK_ORDER : LOAD_ORDER, [orderId]);
  if (!o) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
  return o;
}

/** Statuses after which stock is no longer held for the order (gone out, or given up). */
const PAST_RESERVING: readonly OrderStatus[] = ['shipped', 'delivered', 'completed', 'returned', 'partially_returned', 'cancelled'];
const SHIPPED: readonly OrderStatus[] = ['shipped', 'delivered', 'completed', 'returned', 'partially_returned'];

const reservationsOf = (em: EntityManager, orderId: number, statuses: string[]) =>
  sql<{ sku: string; warehouse: string; warehouse_id: number; quantity: number; status: string }>(em, RESERVATIONS, [orderId, statuses]);

const destinationOf = (o: OrderRow) =>
  typeof o.shipping_address?.lat === 'number' && typeof o.shipping_address?.lng === 'number' ? { lat: o.shipping_address.lat, lng: o.shipping_address.lng } : null;

/** A payment operation recorded under this idempotency key, if any. */
async function operation(em: EntityManager, key: string) {
  const [op] = await sql<{ payment_id: number; kind: string; amount_minor: number; succeeded: boolean; error_code: string | null }>(em, OPERATION, [key]);
  return op ?? null;
}

/** `config.amount` of payments.capture: minor units (a number or digits, perhaps from an expression); empty means all. */
function captureAmount(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n <= 0) throw new DomainError(422, 'validation_failed', `Capture amount ${String(value)} is not a positive whole number of minor units.`, { field: 'amount' });
  return n;
}

async function pickListsOf(em: EntityManager, orderId: number) {
  return em.execute<{ id: number; number: string; status: string; warehouse: string }[]>(
    `select pk.id, pk.number, pk.status, w.code as warehouse from pick_list pk join warehouse w on w.id = pk.warehouse_id
      where pk.status <> 'cancelled' and exists (select 1 from pick_list_line pl where pl.pick_list_id = pk.id and pl.order_id = ?) order by pk.id`, [orderId]);
}

async function shipmentsOf(em: EntityManager, orderId: number) {
  return em.execute<{ id: number; tracking_number: string; carrier: string; service: string }[]>(
    'select s.id, s.tracking_number, c.code as carrier, s.service from shipment s join carrier c on c.id = s.carrier_id where s.order_id = ? order by s.id', [orderId]);
}

export function ordersNodeActivities({ orm }: NodeDeps) {
  const orderOf = (input: NodeActivityInput) => requireSubject(input, 'orderId');

  /**
   * Checks the order is whole (lines, totals add up) and says whether it waits for a person. A
   * received order moves to validated (or on hold when something is off); otherwise reads only.
   */
  const validate: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    return orm.em.fork().transactional(async (em) => {
      const o = await loadOrder(em, orderId, true);
      if (o.status === 'cancelled' || o.status === 'returned') throw new DomainError(409, 'order_closed', `Order ${o.number} is ${o.status}.`, { params: { status: o.status } });
      const lines = await sql<LineRow>(em, ORDER_LINES, [orderId]);
      const problems: string[] = [];
      if (!lines.length) problems.push('no_lines');
      if (lines.some((l) => l.quantity * l.unit_price_minor !== l.total_minor)) problems.push('line_total_mismatch');
      if (lines.reduce((n, l) => n + l.total_minor, 0) !== o.subtotal_minor) problems.push('subtotal_mismatch');
      if (o.subtotal_minor + o.shipping_minor + (o.tax_included ? 0 : o.tax_minor) - o.discount_minor !== o.total_minor) problems.push('total_mismatch');
      const hold = o.status === 'on_hold' || problems.length > 0;
      let status = o.status;
      let holdReasons = o.hold_reasons;
      if (o.status === 'received') {
        const to: OrderStatus = hold ? 'on_hold' : 'validated';
        await transitionNow(em, orderId, to, workflowActor(input), { reason: problems.length ? `validation: ${problems.join(', ')}` : 'validated by workflow', holdReasons: hold ? ['manual'] : undefined });
        status = to;
        [{ hold_reasons: holdReasons }] = await sql<{ hold_reasons: HoldReason[] }>(em, HOLD_REASONS, [orderId]);
      }
      // Unless it moved, the order is as read: its row is locked until the transaction ends.
      return { handle: hold ? 'hold' : 'ok', output: { orderId, number: o.number, status, holdReasons, problems, total: o.total_minor, currency: o.currency } };
    });
  };

  /** Puts the order on hold for a person (no change when it already is). */
  const hold: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    const reason = typeof input.config.reason === 'string' && input.config.reason ? input.config.reason : 'workflow';
    return orm.em.fork().transactional(async (em) => {
      const o = await loadOrder(em, orderId, true);
      if (o.status === 'on_hold') return { handle: 'ok', output: { orderId, status: o.status, changed: false } };
      await transitionNow(em, orderId, 'on_hold', workflowActor(input), { reason, holdReasons: ['manual'] });
      return { handle: 'ok', output: { orderId, status: 'on_hold', changed: true } };
    });
  };

  /**
   * Holds stock for every line: nothing to do when the order already holds it (intake reserves, or
   * an earlier attempt did); else routes on locked stock and reserves, or answers `insufficient`.
   */
  const reserve: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    const actor = workflowActor(input);
    return orm.em.fork().transactional(async (em) => {
      const o = await loadOrder(em, orderId, true);
      if (PAST_RESERVING.includes(o.status)) throw new DomainError(409, 'order_closed', `Order ${o.number} is ${o.status}; nothing to reserve.`, { params: { status: o.status } });
      const held = await reservationsOf(em, orderId, ['active', 'consumed']);
      if (held.length) {
        return { handle: 'ok', output: { orderId, reserved: false, reservations: held.map((r) => ({ sku: r.sku, warehouse: r.warehouse, quantity: r.quantity })) } };
      }
      const lines = await sql<LineRow>(em, ORDER_LINES, [orderId]);
      const stock = await loadStockOptions(em, [...new Set(lines.map((l) => l.product_id))], { lock: true });
      const routing = planRouting(destinationOf(o), lines.map((l) => ({ productId: l.product_id, sku: l.sku, quantity: l.quantity })), stock);
      if (!routing.ok) return { handle: 'insufficient', output: { orderId, shortages: routing.shortages } };
      const allocations = routing.plan.allocations;
      const reserved = await reserveAllocations(em, allocations);
      const lineForProduct = new Map<number, number>();
      for (const l of lines) if (!lineForProduct.has(l.product_id)) lineForProduct.set(l.product_id, l.id);
      await sql(em, INSERT_RESERVATIONS, [orderId, allocations.map((a) => lineForProduct.get(a.productId)!), allocations.map((a) => a.productId), allocations.map((a) => a.warehouseId), allocations.map((a) => a.quantity)]);
      if (routing.plan.shipments === 1 && o.warehouse_id === null) await sql(em, SET_WAREHOUSE, [allocations[0].warehouseId, orderId]);
      const reservations = allocations.map((a) => ({ sku: a.sku, warehouse: a.warehouseCode, quantity: a.quantity }));
      const events: OutboxRow[] = [
        { topic: 'inventory', type: 'stock.reserved', payload: { orderId, levels: reserved.map((r) => ({ levelId: r.levelId, quantity: allocations.filter((a) => a.levelId === r.levelId).reduce((n, a) => n + a.quantity, 0) })) } },
        ...reserved.filter((x) => x.becameLow).map((r) => {
          const a = allocations.find((x) => x.levelId === r.levelId)!;
          return { topic: 'inventory' as const, type: 'stock.low', payload: { levelId: r.levelId, sku: a.sku, warehouse: a.warehouseCode } };
        }),
      ];
      await auditAndPublishMany(em, [{ actor, entry: { action: 'inventory.reserved', entityType: 'Order', entityId: orderId, after: { reservations, policy: routing.plan.policy } } }], events);
      return { handle: 'ok', output: { orderId, reserved: true, reservations, policy: routing.plan.policy, shipments: routing.plan.shipments } };
    });
  };

  /** Compensation of reserve: gives the order's active reservations back (none left: nothing to do). */
  const release: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    return orm.em.fork().transactional(async (em) => {
      const released = await releaseReservations(em, orderId);
      if (released.length) {
        await auditAndPublishMany(em, [{ actor: workflowActor(input), entry: { action: 'inventory.released', entityType: 'Order', entityId: orderId, after: { levels: released, reason: 'workflow compensation' } } }],
          [{ topic: 'inventory', type: 'stock.released', payload: { orderId, levels: released } }]);
      }
      return { handle: 'ok', output: { orderId, released } };
    });
  };

  /**
   * Settles which warehouse ships the order: where its active reservations are, else the routing
   * plan on current stock (read only). Records the warehouse on the order when one ships it all.
   */
  const route: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    return orm.em.fork().transactional(async (em) => {
      const o = await loadOrder(em, orderId, true);
      const active = await reservationsOf(em, orderId, ['active']);
      let warehouses: { id: number; code: string }[];
      let extra: Record<string, unknown>;
      if (active.length) {
        warehouses = [...new Map(active.map((r) => [r.warehouse_id, { id: r.warehouse_id, code: r.warehouse }])).values()];
        extra = { source: 'reservations' };
      } else {
        const lines = await sql<LineRow>(em, ORDER_LINES, [orderId]);
        const routing = planRouting(destinationOf(o), lines.map((l) => ({ productId: l.product_id, sku: l.sku, quantity: l.quantity })), await loadStockOptions(em, [...new Set(lines.map((l) => l.product_id))]));
        if (!routing.ok) return { handle: 'ok', output: { orderId, routed: false, shortages: routing.shortages } };
        warehouses = [...new Map(routing.plan.allocations.map((a) => [a.warehouseId, { id: a.warehouseId, code: a.warehouseCode }])).values()];
        extra = { source: 'plan', policy: routing.plan.policy, considered: routing.plan.considered };
      }
      if (warehouses.length === 1 && o.warehouse_id !== warehouses[0].id && !SHIPPED.includes(o.status)) {
        await sql(em, SET_WAREHOUSE, [warehouses[0].id, orderId]);
        await auditAndPublishMany(em,
          [{ actor: workflowActor(input), entry: { action: 'order.routed', entityType: 'Order', entityId: orderId, before: { warehouseId: o.warehouse_id }, after: { warehouseId: warehouses[0].id, warehouse: warehouses[0].code } } }],
          [{ topic: 'orders', type: 'order.routed', payload: { orderId, number: o.number, warehouse: warehouses[0].code } }]);
      }
      return { handle: 'ok', output: { orderId, routed: true, warehouses: warehouses.map((w) => w.code), shipments: warehouses.length, ...extra } };
    });
  };

  /**
   * Authorises the order's due amount with the order's payment method, keyed by the node's key.
   * Manual methods (cash, bank transfer, COD) take no money here: staff mark it paid later and
   * the flow waits for payment_confirmed. A declined card is the `declined` handle.
   */
  const authorise: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    const o = await loadOrder(orm.em.fork(), orderId);
    const provider = providerForMethod(o.payment_method);
    if (provider === 'manual') return { handle: 'ok', output: { orderId, provider, method: o.payment_method, paymentId: null, manual: true } };
    // The buyer's card is the gateway token the order came with; the run (and Temporal's history) never
    // carries a card number. An order with none (entered by staff, imported) uses the simulated gateway's
    // test card, labelled as such in the step's output.
    const token = o.payment_token ?? SIMULATED_TOKEN;
    const cardSource = o.payment_token ? 'order' : 'simulated';
    try {
      const p = await createPayment(orm, orderId, { provider, method: 'card', token }, input.key, workflowActor(input));
      return { handle: 'ok', output: { orderId, provider, paymentId: p.id, status: p.status, amount: p.authorised, cardLast4: p.cardLast4, cardSource } };
    } catch (e) {
      // The gateway's answer is recorded under the key, so a retry would get the same: a business outcome.
      if (isDomainError(e, 'payment_declined')) return { handle: 'declined', output: { orderId, reason: e.params?.reason ?? 'declined', cardSource } };
      if (isDomainError(e, 'nothing_due')) return { handle: 'ok', output: { orderId, provider, paymentId: null, nothingDue: true } };
      throw e;
    }
  };

  /** Compensation of authorise: voids the authorisation that step made (found by its key), if still uncaptured. */
  const voidAuthorisation: NodeActivity = async (input) => {
    const em = orm.em.fork();
    const auth = await operation(em, originalKey(input.key));
    if (!auth || auth.kind !== 'authorise' || !auth.succeeded) return { handle: 'ok', output: { voided: false, reason: 'nothing_authorised' } };
    const done = await operation(em, input.key);
    const [p] = await em.execute<{ status: string; captured_minor: number }[]>('select status, captured_minor from payment where id = ?', [auth.payment_id]);
    if (!done && (p.status !== 'authorised' || p.captured_minor > 0)) return { handle: 'ok', output: { paymentId: auth.payment_id, voided: false, status: p.status } };
    try {
      const v = await voidPayment(orm, auth.payment_id, input.key, workflowActor(input));
      return { handle: 'ok', output: { paymentId: v.id, voided: v.status === 'voided', status: v.status } };
    } catch (e) {
      if (isDomainError(e, 'cannot_void')) return { handle: 'ok', output: { paymentId: auth.payment_id, voided: false, reason: e.code } };
      throw e;
    }
  };

  /**
   * Captures the run's authorisation: the payment authorised under a key of this workflow run,
   * else the order's newest authorised payment. No authorisation but the order is covered (manual
   * payment marked paid) is `ok`; nothing to capture otherwise, or a refused capture, is `failed`.
   */
  const capture: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    const amount = captureAmount(input.config.amount);
    const em = orm.em.fork();
    const prior = await operation(em, input.key);
    let paymentId = prior?.payment_id ?? null;
    if (paymentId === null) {
      const prefix = `${input.workflowId}:`;
      const [ofRun] = await sql<{ id: number }>(em, AUTHORISED_BY_RUN, [orderId, prefix.length, prefix]);
      const [newest] = ofRun ? [ofRun] : await sql<{ id: number }>(em, NEWEST_AUTHORISED, [orderId]);
      paymentId = newest?.id ?? null;
    }
    if (paymentId === null) {
      const [o] = await sql<{ total_minor: number; covered: string }>(em, COVERED, [orderId]);
      if (!o) throw new DomainError(404, 'not_found', `Order ${orderId} does not exist.`);
      return Number(o.covered) >= o.total_minor && o.total_minor > 0
        ? { handle: 'ok', output: { orderId, paymentId: null, captured: 0, alreadyPaid: true } }
        : { handle: 'failed', output: { orderId, reason: 'no_authorisation' } };
    }
    try {
      const p = await capturePayment(orm, paymentId, amount, input.key, workflowActor(input));
      return { handle: 'ok', output: { orderId, paymentId: p.id, status: p.status, captured: p.captured } };
    } catch (e) {
      if (isDomainError(e, 'payment_declined', 'nothing_to_capture', 'validation_failed')) return { handle: 'failed', output: { orderId, paymentId, reason: e.params?.reason ?? e.code } };
      throw e;
    }
  };

  /** Compensation of capture: refunds what that capture took (found by its key), as far as not refunded already. */
  const refund: NodeActivity = async (input) => {
    const em = orm.em.fork();
    const cap = await operation(em, originalKey(input.key));
    if (!cap || cap.kind !== 'capture' || !cap.succeeded) return { handle: 'ok', output: { refunded: 0, reason: 'nothing_captured' } };
    const done = await operation(em, input.key);
    let amount = done?.amount_minor;
    if (!done) {
      const [p] = await em.execute<{ captured_minor: number; refunded_minor: number }[]>('select captured_minor, refunded_minor from payment where id = ?', [cap.payment_id]);
      amount = Math.min(cap.amount_minor, p.captured_minor - p.refunded_minor);
      if (amount <= 0) return { handle: 'ok', output: { paymentId: cap.payment_id, refunded: 0, reason: 'already_refunded' } };
    }
    try {
      const p = await refundPayment(orm, cap.payment_id, amount, input.key, workflowActor(input));
      return { handle: 'ok', output: { paymentId: p.id, refunded: amount, status: p.status } };
    } catch (e) {
      if (isDomainError(e, 'nothing_to_refund')) return { handle: 'ok', output: { paymentId: cap.payment_id, refunded: 0, reason: e.code } };
      throw e;
    }
  };

  /**
   * Pick lists for the order's reserved stock: one per warehouse holding it (a split order gets one in
   * each), by the step's method, or with `warehouse_default` (or none) by each warehouse's own method
   * and batch size. Idempotent per order × warehouse: a warehouse already on a (not cancelled) list is
   * left as it is, so a retry creates only what is missing.
   */
  const pickList: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    const method = input.config.method === WAREHOUSE_DEFAULT_PICK ? undefined : input.config.method;
    const r = await pickListsForOrders(orm, { orderIds: [orderId], method }, workflowActor(input));
    const lists = await pickListsOf(orm.em.fork(), orderId);
    const refusal = r.refused[0];
    if (!lists.length) throw new DomainError(409, 'nothing_to_pick', `Order ${orderId} is not ready for picking (${refusal?.reason ?? 'nothing reserved'}${refusal?.status ? `, ${refusal.status}` : ''}).`);
    return { handle: 'ok', output: { orderId, created: r.created.length > 0, pickLists: lists } };
  };

  /**
   * Compensation of pickList: cancels the order's pick lists still open or being picked (a list
   * shared with other orders loses only this order's lines) and moves the order back to allocated.
   */
  const cancelPickList: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    const actor = workflowActor(input);
    return orm.em.fork().transactional(async (em) => {
      const o = await loadOrder(em, orderId, true);
      const ids = (await em.execute<{ id: number }[]>('select distinct pick_list_id as id from pick_list_line where order_id = ?', [orderId])).map((r) => r.id);
      const lists = ids.length
        ? await em.execute<{ id: number; number: string; status: string }[]>(`select id, number, status from pick_list where id in (?) and status in ('open', 'picking') order by id for update`, [ids])
        : [];
      const cancelled: string[] = [];
      const trimmed: string[] = [];
      for (const l of lists) {
        const [{ n }] = await em.execute<{ n: string }[]>('select count(distinct order_id) as n from pick_list_line where pick_list_id = ?', [l.id]);
        if (Number(n) <= 1) {
          await em.execute(`update pick_list set status = 'cancelled', completed_at = now() where id = ?`, [l.id]);
          cancelled.push(l.number);
        } else {
          await em.execute('delete from pick_list_line where pick_list_id = ? and order_id = ?', [l.id, orderId]);
          trimmed.push(l.number);
        }
      }
      if (lists.length) {
        if (o.status === 'picking') await transition(em, orderId, 'allocated', actor, { reason: 'pick list cancelled by workflow compensation' });
        audit(em, actor, { action: 'fulfilment.pick_lists_cancelled', entityType: 'Order', entityId: orderId, after: { cancelled, trimmed } });
        publish(em, 'fulfilment', 'pick_lists.cancelled', { orderId, cancelled, trimmed });
      }
      return { handle: 'ok', output: { orderId, cancelled, trimmed } };
    });
  };

  /** Ships a packed order (carrier by the rules, or config.carrier); an order already shipped answers its shipments. */
  const ship: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    const carrier = typeof input.config.carrier === 'string' && input.config.carrier ? input.config.carrier : undefined;
    const shipped = async () => {
      const o = await loadOrder(orm.em.fork(), orderId);
      if (!SHIPPED.includes(o.status)) return null;
      const shipments = await shipmentsOf(orm.em.fork(), orderId);
      return { handle: 'ok', output: { orderId, shipped: false, shipments: shipments.map((s) => ({ id: s.id, trackingNumber: s.tracking_number, carrier: s.carrier, service: s.service })) } };
    };
    const before = await shipped();
    if (before) return before;
    try {
      const r = await shipOrder(orm, orderId, workflowActor(input), { carrier });
      return { handle: 'ok', output: { orderId, shipped: true, shipments: r.shipments } };
    } catch (e) {
      if (isDomainError(e, 'illegal_transition')) { const after = await shipped(); if (after) return after; }
      throw e;
    }
  };

  /** Cancels the order and gives its stock back; an order already cancelled is fine. */
  const cancel: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    const reason = typeof input.config.reason === 'string' && input.config.reason ? input.config.reason : 'workflow';
    const status = async () => (await loadOrder(orm.em.fork(), orderId)).status;
    if ((await status()) === 'cancelled') return { handle: 'ok', output: { orderId, status: 'cancelled', changed: false } };
    try {
      await cancelOrder(orm, orderId, workflowActor(input), reason);
      return { handle: 'ok', output: { orderId, status: 'cancelled', changed: true } };
    } catch (e) {
      if (isDomainError(e, 'illegal_transition') && (await status()) === 'cancelled') return { handle: 'ok', output: { orderId, status: 'cancelled', changed: false } };
      throw e;
    }
  };

  const activities = {
    'orders.validate': validate,
    'orders.hold': hold,
    'orders.reserve': reserve,
    'orders.release': release,
    'orders.route': route,
    'payments.authorise': authorise,
    'payments.void': voidAuthorisation,
    'payments.capture': capture,
    'payments.refund': refund,
    'fulfilment.pickList': pickList,
    'fulfilment.cancelPickList': cancelPickList,
    'fulfilment.ship': ship,
    'orders.cancel': cancel,
  };
  return Object.fromEntries(Object.entries(activities).map(([name, fn]) => [name, nodeActivity(fn)])) as typeof activities;
}
