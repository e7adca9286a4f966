// The order plugin's activities: validate, hold, reserve/release, route, authorise/void,
// capture/refund, pick list/cancel, ship and cancel. Each is idempotent by its key: a retry or a
// replay finds what the first call did (by the payment idempotency key, or by the order's state)
// and answers the same without changing anything again.
import { WAREHOUSE_DEFAULT_PICK } from '../../entities/constants.ts';
import { DomainError } from '../../app/lib/errors.ts';
import { cancelOrder, holdOrderIn, loadOrderHead, validateOrder } from '../../app/modules/orders/service.server.ts';
import { releaseOrderStock } from '../../app/modules/inventory/reservations.server.ts';
import { reserveOrder, routeOrder, SHIPPED } from '../../app/modules/inventory/allocation.server.ts';
import {
  authorisationToCapture,
  capturePayment,
  createPayment,
  orderCovered,
  paymentBalance,
  paymentOperation,
  refundPayment,
  voidPayment,
} from '../../app/modules/payments/service.server.ts';
import { providerForMethod } from '../../app/modules/payments/providers/index.ts';
import { activePickListsOf, cancelOrderPickLists, pickListsForOrders, shipmentsOf, shipOrder } from '../../app/modules/fulfilment/service.server.ts';
import type { NodeActivityInput } from '../../workflows/graph.ts';
import { isDomainError, nodeActivity, originalKey, requireSubject, workflowActor, type NodeActivity, type NodeDeps } from './shared.ts';

/** The simulated gateway's token for a test card that succeeds (orders that came with no token of their own). */
export const SIMULATED_TOKEN = 'tok_visa';

/** `config.amount` of payments.capture: minor units (a number or digits, perhaps from an expression); empty means all. */
function captureAmount(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n <= 0)
    throw new DomainError(422, 'validation_failed', `Capture amount ${String(value)} is not a positive whole number of minor units.`, { field: 'amount' });
  return n;
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
      const v = await validateOrder(em, orderId, workflowActor(input));
      const o = v.order;
      return {
        handle: v.hold ? 'hold' : 'ok',
        output: { orderId, number: o.number, status: v.status, holdReasons: v.holdReasons, problems: v.problems, total: o.total_minor, currency: o.currency },
      };
    });
  };

  /** Puts the order on hold for a person (no change when it already is). */
  const hold: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    const reason = typeof input.config.reason === 'string' && input.config.reason ? input.config.reason : 'workflow';
    return orm.em.fork().transactional(async (em) => {
      const changed = await holdOrderIn(em, orderId, workflowActor(input), reason);
      return { handle: 'ok', output: { orderId, status: 'on_hold', changed } };
    });
  };

  /**
   * Holds stock for every line: nothing to do when the order already holds it (intake reserves, or
   * an earlier attempt did); else routes on locked stock and reserves, or answers `insufficient`.
   */
  const reserve: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    return orm.em.fork().transactional(async (em) => {
      const r = await reserveOrder(em, orderId, workflowActor(input));
      if (!r.ok) return { handle: 'insufficient', output: { orderId, shortages: r.shortages } };
      const { ok: _ok, ...output } = r;
      return { handle: 'ok', output: { orderId, ...output } };
    });
  };

  /** Compensation of reserve: gives the order's active reservations back (none left: nothing to do). */
  const release: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    return orm.em.fork().transactional(async (em) => ({
      handle: 'ok',
      output: { orderId, released: await releaseOrderStock(em, orderId, workflowActor(input), 'workflow compensation') },
    }));
  };

  /**
   * Settles which warehouse ships the order: where its active reservations are, else the routing
   * plan on current stock (read only). Records the warehouse on the order when one ships it all.
   */
  const route: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    return orm.em.fork().transactional(async (em) => ({ handle: 'ok', output: { orderId, ...(await routeOrder(em, orderId, workflowActor(input))) } }));
  };

  /**
   * Authorises the order's due amount with the order's payment method, keyed by the node's key.
   * Manual methods (cash, bank transfer, COD) take no money here: staff mark it paid later and
   * the flow waits for payment_confirmed. A declined card is the `declined` handle.
   */
  const authorise: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    const o = await loadOrderHead(orm.em.fork(), orderId);
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
    const auth = await paymentOperation(em, originalKey(input.key));
    if (!auth || auth.kind !== 'authorise' || !auth.succeeded) return { handle: 'ok', output: { voided: false, reason: 'nothing_authorised' } };
    const done = await paymentOperation(em, input.key);
    const p = await paymentBalance(em, auth.payment_id);
    if (!done && (p.status !== 'authorised' || p.captured_minor > 0))
      return { handle: 'ok', output: { paymentId: auth.payment_id, voided: false, status: p.status } };
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
    const prior = await paymentOperation(em, input.key);
    const paymentId = prior?.payment_id ?? (await authorisationToCapture(em, orderId, `${input.workflowId}:`));
    if (paymentId === null) {
      return (await orderCovered(em, orderId))
        ? { handle: 'ok', output: { orderId, paymentId: null, captured: 0, alreadyPaid: true } }
        : { handle: 'failed', output: { orderId, reason: 'no_authorisation' } };
    }
    try {
      const p = await capturePayment(orm, paymentId, amount, input.key, workflowActor(input));
      return { handle: 'ok', output: { orderId, paymentId: p.id, status: p.status, captured: p.captured } };
    } catch (e) {
      if (isDomainError(e, 'payment_declined', 'nothing_to_capture', 'validation_failed'))
        return { handle: 'failed', output: { orderId, paymentId, reason: e.params?.reason ?? e.code } };
      throw e;
    }
  };

  /** Compensation of capture: refunds what that capture took (found by its key), as far as not refunded already. */
  const refund: NodeActivity = async (input) => {
    const em = orm.em.fork();
    const cap = await paymentOperation(em, originalKey(input.key));
    if (!cap || cap.kind !== 'capture' || !cap.succeeded) return { handle: 'ok', output: { refunded: 0, reason: 'nothing_captured' } };
    const done = await paymentOperation(em, input.key);
    let amount = done?.amount_minor;
    if (!done) {
      const p = await paymentBalance(em, cap.payment_id);
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
    const lists = await activePickListsOf(orm.em.fork(), orderId);
    const refusal = r.refused[0];
    if (!lists.length)
      throw new DomainError(
        409,
        'nothing_to_pick',
        `Order ${orderId} is not ready for picking (${refusal?.reason ?? 'nothing reserved'}${refusal?.status ? `, ${refusal.status}` : ''}).`,
      );
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
      const o = await loadOrderHead(em, orderId, true);
      const r = await cancelOrderPickLists(em, orderId, o.status, actor, 'pick list cancelled by workflow compensation');
      return { handle: 'ok', output: { orderId, ...r } };
    });
  };

  /** Ships a packed order (carrier by the rules, or config.carrier); an order already shipped answers its shipments. */
  const ship: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    const carrier = typeof input.config.carrier === 'string' && input.config.carrier ? input.config.carrier : undefined;
    const shipped = async () => {
      const o = await loadOrderHead(orm.em.fork(), orderId);
      if (!SHIPPED.includes(o.status)) return null;
      return { handle: 'ok', output: { orderId, shipped: false, shipments: await shipmentsOf(orm.em.fork(), orderId) } };
    };
    const before = await shipped();
    if (before) return before;
    try {
      const r = await shipOrder(orm, orderId, workflowActor(input), { carrier });
      return { handle: 'ok', output: { orderId, shipped: true, shipments: r.shipments } };
    } catch (e) {
      if (isDomainError(e, 'illegal_transition')) {
        const after = await shipped();
        if (after) return after;
      }
      throw e;
    }
  };

  /** Cancels the order and gives its stock back; an order already cancelled is fine. */
  const cancel: NodeActivity = async (input) => {
    const orderId = orderOf(input);
    const reason = typeof input.config.reason === 'string' && input.config.reason ? input.config.reason : 'workflow';
    const status = async () => (await loadOrderHead(orm.em.fork(), orderId)).status;
    if ((await status()) === 'cancelled') return { handle: 'ok', output: { orderId, status: 'cancelled', changed: false } };
    try {
      await cancelOrder(orm, orderId, workflowActor(input), reason);
      return { handle: 'ok', output: { orderId, status: 'cancelled', changed: true } };
    } catch (e) {
      if (isDomainError(e, 'illegal_transition') && (await status()) === 'cancelled')
        return { handle: 'ok', output: { orderId, status: 'cancelled', changed: false } };
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
