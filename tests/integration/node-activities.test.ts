// The business node activities against the real database, called the way the interpreter calls
// them: a NodeActivityInput with a key that stays the same across retries, and for compensations
// the same input with the key suffixed ':undo'. Every step is called twice to prove it is idempotent.
import fs from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { cancelOrder } from '../../app/modules/orders/service.server.ts';
import { confirmPick, packOrder } from '../../app/modules/fulfilment/service.server.ts';
import { requestReturn, returnableLines } from '../../app/modules/returns/service.server.ts';
import { nodeActivities, poNumberForKey, type NodeActivities } from '../../activities/nodes/index.ts';
import { PLUGINS } from '../../plugins/index.ts';
import type { NodeActivityInput, Plan } from '../../workflows/graph.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { STANDARD_ORDER } from '../../scripts/seed/workflows.ts';
import { compileGraph } from '../../app/modules/workflows/compile.server.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
let act: NodeActivities;
const actor = { ...SYSTEM, label: 'tester' };
const sql = (q: string, p: unknown[] = []) => db.orm.em.getConnection().execute(q, p);
const count = async (q: string, p: unknown[] = []) => Number((await sql(q, p))[0].n);
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase('nodes');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  act = nodeActivities({ orm: db.orm });
  // Test SKUs stocked only in Newark, so an order from Boston is routed there and nowhere else.
  for (const [sku, onHand, reorderPoint, reorderQuantity] of [
    ['NA-1', 100, 0, 0],
    ['NA-2', 5, 0, 0],
    ['NA-3', 50, 0, 0],
    ['NA-PO', 120, 30, 5],
  ] as const) {
    await sql(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values (?, ?, ?, 100, 1, 1, 1, 1000, 'USD')`,
      [sku, `BC-${sku}`, `Item ${sku}`],
    );
    await sql(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, bin, updated_at)
               select p.id, w.id, case when w.code = 'EWR' then ? else 0 end, 0, ?, ?, 'A-01-1', now() from product p, warehouse w where p.sku = ?`,
      [onHand, reorderPoint, reorderQuantity, sku],
    );
  }
});
afterAll(async () => {
  await db?.drop();
});

async function newOrder(
  lines: { sku: string; quantity: number; unitPrice?: number }[],
  opts: { paymentMethod?: string; placedAt?: Date; discount?: number; paymentToken?: string } = {},
) {
  const r = await createOrder(
    db.orm,
    {
      channel: 'web',
      externalId: `NODES-${++n}`,
      customer: { email: 'nodes@example.com', name: 'Node Tester' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPrice: l.unitPrice ?? 1000 })),
      paymentMethod: opts.paymentMethod ?? 'test-card',
      placedAt: opts.placedAt?.toISOString(),
      discount: opts.discount,
      paymentToken: opts.paymentToken,
    },
    { actor, baseCurrency: 'USD' },
  );
  if (r.replayed) throw new Error('replayed');
  return r.order;
}

/** What the interpreter passes: key = workflow id + node id + visit. */
function input(
  nodeId: string,
  payload: Record<string, unknown>,
  opts: { config?: Record<string, unknown>; nodes?: Record<string, Record<string, unknown>>; workflowId?: string; trigger?: string; visit?: number } = {},
): NodeActivityInput {
  const workflowId = opts.workflowId ?? `wf-${nodeId}-${++n}`;
  return {
    key: `${workflowId}:${nodeId}:${opts.visit ?? 1}`,
    workflowId,
    nodeId,
    config: opts.config ?? {},
    context: { trigger: { type: opts.trigger ?? 'order.created', payload }, nodes: opts.nodes ?? {} },
  };
}
const undo = (i: NodeActivityInput): NodeActivityInput => ({ ...i, key: `${i.key}:undo` });
const orderPayload = (o: { id: number; number: string; status: string; total: number }) => ({
  orderId: o.id,
  number: o.number,
  channel: 'web',
  status: o.status,
  currency: 'USD',
  total: o.total,
});
const created = (o: Awaited<ReturnType<typeof newOrder>>) => orderPayload({ id: o.id, number: o.number, status: o.status, total: o.totals.total });

const level = async (sku: string, warehouse = 'EWR') =>
  (
    await sql(
      `select on_hand, reserved from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id where p.sku = ? and w.code = ?`,
      [sku, warehouse],
    )
  )[0];
const orderStatus = async (id: number) => (await sql('select status from sales_order where id = ?', [id]))[0].status;
const activeReservations = (orderId: number) => count(`select count(*) as n from reservation where order_id = ? and status = 'active'`, [orderId]);
const nonRetryable = (e: unknown) => (e instanceof ApplicationFailure ? { nonRetryable: e.nonRetryable, type: e.type } : e);

describe('the catalogue', () => {
  it('has an activity for every activity and compensation a plugin declares', () => {
    const names = PLUGINS.flatMap((p) => p.nodes)
      .flatMap((node) => (node.run.kind === 'activity' ? [node.run.activity, node.run.compensation] : []))
      .filter((x): x is string => !!x);
    expect(names.length).toBeGreaterThan(25);
    expect(names.filter((name) => typeof (act as Record<string, unknown>)[name] !== 'function')).toEqual([]);
  });
});

describe('order steps', () => {
  it('reserve then release gives the stock back; reserving twice with one key reserves once', async () => {
    const order = await newOrder([{ sku: 'NA-1', quantity: 3 }]);
    expect(await level('NA-1')).toEqual({ on_hand: 100, reserved: 3 });
    // Intake reserved already: reserve finds it and changes nothing.
    const first = input('reserve', created(order));
    expect(await act['orders.reserve'](first)).toMatchObject({
      handle: 'ok',
      output: { reserved: false, reservations: [{ sku: 'NA-1', warehouse: 'EWR', quantity: 3 }] },
    });
    expect(await level('NA-1')).toEqual({ on_hand: 100, reserved: 3 });

    // Its compensation gives the stock back, once.
    expect(await act['orders.release'](undo(first))).toMatchObject({ handle: 'ok', output: { released: [{ quantity: 3 }] } });
    expect(await act['orders.release'](undo(first))).toMatchObject({ handle: 'ok', output: { released: [] } });
    expect(await level('NA-1')).toEqual({ on_hand: 100, reserved: 0 });

    // A fresh reserve, called twice at once and once more (a retry): one reservation.
    const again = input('reserve', created(order));
    const [a, b] = await Promise.all([act['orders.reserve'](again), act['orders.reserve'](again)]);
    expect([a.handle, b.handle]).toEqual(['ok', 'ok']);
    expect([a.output?.reserved, b.output?.reserved].sort()).toEqual([false, true]);
    expect(await act['orders.reserve'](again)).toMatchObject({ handle: 'ok', output: { reserved: false } });
    expect(await level('NA-1')).toEqual({ on_hand: 100, reserved: 3 });
    expect(await activeReservations(order.id)).toBe(1);

    await act['orders.release'](undo(again));
    expect(await level('NA-1')).toEqual({ on_hand: 100, reserved: 0 });
    expect(await count(`select count(*) as n from audit_event where action = 'inventory.released' and entity_id = ?`, [String(order.id)])).toBe(2);
  });

  it('answers insufficient when the stock is gone, without reserving anything', async () => {
    const order = await newOrder([{ sku: 'NA-2', quantity: 4 }]);
    const i = input('reserve', created(order));
    await act['orders.release'](undo(i));
    await newOrder([{ sku: 'NA-2', quantity: 3 }]);
    expect(await act['orders.reserve'](i)).toEqual({
      handle: 'insufficient',
      output: { orderId: order.id, shortages: [{ sku: 'NA-2', requested: 4, available: 2 }] },
    });
    expect(await level('NA-2')).toEqual({ on_hand: 5, reserved: 3 });
    expect(await activeReservations(order.id)).toBe(0);
  });

  it('validates, holds and cancels once each', async () => {
    const order = await newOrder([{ sku: 'NA-1', quantity: 1 }]);
    const payload = created(order);
    expect(await act['orders.validate'](input('validate', payload))).toMatchObject({ handle: 'ok', output: { status: 'awaiting_payment', problems: [] } });
    const hold = input('hold', payload, { config: { reason: 'fraud check' } });
    expect(await act['orders.hold'](hold)).toMatchObject({ handle: 'ok', output: { changed: true } });
    expect(await act['orders.hold'](hold)).toMatchObject({ handle: 'ok', output: { changed: false } });
    expect(await act['orders.validate'](input('validate', payload))).toMatchObject({ handle: 'hold', output: { status: 'on_hold', holdReasons: ['manual'] } });
    const cancel = input('cancel', payload);
    expect(await act['orders.cancel'](cancel)).toMatchObject({ handle: 'ok', output: { changed: true } });
    expect(await act['orders.cancel'](cancel)).toMatchObject({ handle: 'ok', output: { changed: false } });
    expect(await orderStatus(order.id)).toBe('cancelled');
    expect(await activeReservations(order.id)).toBe(0);
    expect(
      await count(`select count(*) as n from audit_event where action = 'order.status_changed' and entity_id = ? and after ->> 'status' = 'cancelled'`, [
        String(order.id),
      ]),
    ).toBe(1);
    // An illegal move is refused for good (no retries), not reported as done.
    const err = await act['orders.hold'](input('hold', payload)).catch((e) => e);
    expect(nonRetryable(err)).toEqual({ nonRetryable: true, type: 'illegal_transition' });
  });
});

describe('payments', () => {
  const money = async (orderId: number) =>
    (
      await sql(
        `select coalesce(sum(authorised_minor), 0)::int as authorised, coalesce(sum(captured_minor), 0)::int as captured, coalesce(sum(refunded_minor), 0)::int as refunded, count(*)::int as payments from payment where order_id = ?`,
        [orderId],
      )
    )[0];

  it('authorise, capture and refund with the same keys twice never double the money', async () => {
    const order = await newOrder([{ sku: 'NA-1', quantity: 1, unitPrice: 5_000 }]);
    const workflowId = `wf-pay-${order.id}`;
    const auth = input('authorise', created(order), { workflowId });
    const a1 = await act['payments.authorise'](auth);
    const a2 = await act['payments.authorise'](auth);
    expect(a1).toMatchObject({ handle: 'ok', output: { status: 'authorised', amount: 5_000, cardLast4: '4242', cardSource: 'simulated' } });
    expect(a2.output?.paymentId).toBe(a1.output?.paymentId);

    const cap = input('capture', created(order), { workflowId, nodes: { authorise: a1.output! } });
    expect(await act['payments.capture'](cap)).toMatchObject({ handle: 'ok', output: { status: 'captured', captured: 5_000 } });
    expect(await act['payments.capture'](cap)).toMatchObject({ handle: 'ok', output: { status: 'captured', captured: 5_000 } });
    expect(await money(order.id)).toEqual({ authorised: 5_000, captured: 5_000, refunded: 0, payments: 1 });
    expect(await orderStatus(order.id)).toBe('paid');

    // The saga undoes newest first: refund the capture, then (nothing left to) void the authorisation.
    expect(await act['payments.refund'](undo(cap))).toMatchObject({ handle: 'ok', output: { refunded: 5_000, status: 'refunded' } });
    expect(await act['payments.refund'](undo(cap))).toMatchObject({ handle: 'ok', output: { refunded: 5_000 } });
    expect(await act['payments.void'](undo(auth))).toMatchObject({ handle: 'ok', output: { voided: false, status: 'refunded' } });
    expect(await money(order.id)).toEqual({ authorised: 5_000, captured: 5_000, refunded: 5_000, payments: 1 });
    expect(await sql('select kind from payment_operation where payment_id = ? order by id', [a1.output!.paymentId])).toEqual([
      { kind: 'authorise' },
      { kind: 'capture' },
      { kind: 'refund' },
    ]);
  });

  it('voids an uncaptured authorisation once', async () => {
    const order = await newOrder([{ sku: 'NA-1', quantity: 1, unitPrice: 2_000 }]);
    const auth = input('authorise', created(order));
    const a = await act['payments.authorise'](auth);
    expect(await act['payments.void'](undo(auth))).toMatchObject({ handle: 'ok', output: { voided: true, status: 'voided' } });
    expect(await act['payments.void'](undo(auth))).toMatchObject({ handle: 'ok', output: { voided: true, status: 'voided' } });
    expect(await count(`select count(*) as n from payment_operation where payment_id = ? and kind = 'void'`, [a.output!.paymentId])).toBe(1);
    // Nothing authorised is left to capture.
    expect(await act['payments.capture'](input('capture', created(order)))).toMatchObject({ handle: 'failed', output: { reason: 'no_authorisation' } });
  });

  it("a declined card is the declined handle, and stays declined on retry; the card is the order's gateway token, never one in the trigger", async () => {
    const order = await newOrder([{ sku: 'NA-1', quantity: 1 }], { paymentToken: 'tok_chargeDeclined' });
    // A card number in the trigger (which would sit in Temporal's history) is not looked at.
    const auth = input('authorise', { ...created(order), card: { number: '4242424242424242', expMonth: 12, expYear: 2099, cvc: '123' } });
    expect(await act['payments.authorise'](auth)).toEqual({ handle: 'declined', output: { orderId: order.id, reason: 'card_declined', cardSource: 'order' } });
    expect(await act['payments.authorise'](auth)).toMatchObject({ handle: 'declined', output: { reason: 'card_declined' } });
    expect(await sql('select status from payment where order_id = ?', [order.id])).toEqual([{ status: 'failed' }]);
    expect(await act['payments.void'](undo(auth))).toMatchObject({ handle: 'ok', output: { voided: false } });
    expect(await orderStatus(order.id)).toBe('awaiting_payment');
  });

  it('a manual payment method takes no money: the flow waits for staff', async () => {
    const order = await newOrder([{ sku: 'NA-1', quantity: 1 }], { paymentMethod: 'bank_transfer' });
    expect(await act['payments.authorise'](input('authorise', created(order)))).toMatchObject({
      handle: 'ok',
      output: { provider: 'manual', paymentId: null, manual: true },
    });
    expect(await count('select count(*) as n from payment where order_id = ?', [order.id])).toBe(0);
  });
});

describe('fulfilment', () => {
  it('creates one pick list per key, cancels it as compensation, and ships once', async () => {
    const order = await newOrder([
      { sku: 'NA-3', quantity: 1 },
      { sku: 'NA-1', quantity: 1 },
    ]);
    const workflowId = `wf-ful-${order.id}`;
    await act['payments.authorise'](input('authorise', created(order), { workflowId }));
    await act['payments.capture'](input('capture', created(order), { workflowId }));
    expect(await orderStatus(order.id)).toBe('paid');

    const pick = input('pick', created(order), { workflowId, config: { method: 'single' } });
    const p1 = await act['fulfilment.pickList'](pick);
    const p2 = await act['fulfilment.pickList'](pick);
    expect(p1).toMatchObject({ handle: 'ok', output: { created: true, pickLists: [expect.objectContaining({ warehouse: 'EWR', status: 'open' })] } });
    expect(p2).toMatchObject({ handle: 'ok', output: { created: false, pickLists: p1.output!.pickLists } });
    expect(await count('select count(distinct pick_list_id) as n from pick_list_line where order_id = ?', [order.id])).toBe(1);
    expect(await orderStatus(order.id)).toBe('picking');

    expect(await act['fulfilment.cancelPickList'](undo(pick))).toMatchObject({
      handle: 'ok',
      output: { cancelled: [(p1.output!.pickLists as { number: string }[])[0].number] },
    });
    expect(await act['fulfilment.cancelPickList'](undo(pick))).toMatchObject({ handle: 'ok', output: { cancelled: [] } });
    expect(await orderStatus(order.id)).toBe('allocated');

    // The run goes on: a new visit picks again, then the warehouse picks and packs, and the flow ships.
    const [list] = (await act['fulfilment.pickList'](input('pick', created(order), { workflowId, visit: 2 }))).output!.pickLists as { id: number }[];
    await confirmPick(db.orm, list.id, 'NA-3', actor);
    await confirmPick(db.orm, list.id, 'NA-1', actor);
    await packOrder(db.orm, order.id, actor);
    const ship = input('ship', created(order), { workflowId });
    const s1 = await act['fulfilment.ship'](ship);
    expect(s1).toMatchObject({ handle: 'ok', output: { shipped: true, shipments: [expect.objectContaining({ carrier: 'usps' })] } });
    expect(await act['fulfilment.ship'](ship)).toMatchObject({
      handle: 'ok',
      output: {
        shipped: false,
        shipments: [expect.objectContaining({ trackingNumber: (s1.output!.shipments as { trackingNumber: string }[])[0].trackingNumber })],
      },
    });
    expect(await count('select count(*) as n from shipment where order_id = ?', [order.id])).toBe(1);
    expect(await orderStatus(order.id)).toBe('shipped');
  });

  it('makes the flow’s pick lists by each warehouse’s own method by default, and by the step’s method when it names one', async () => {
    // The pick step as the seeded Standard order publishes it, and as a version published before it
    // (the plan pinned in a recorded run): the warehouse's default, and single order.
    const compiled = compileGraph(STANDARD_ORDER);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    const seeded = compiled.plan.nodes.pick.config;
    expect(seeded).toEqual({ method: 'warehouse_default' });
    const recorded = JSON.parse(fs.readFileSync('tests/fixtures/workflow-histories/standard-order.loop-exits.json', 'utf8'));
    const [started] = recorded.events[0].workflowExecutionStartedEventAttributes.input.payloads;
    const pinned = (JSON.parse(Buffer.from(started.data, 'base64').toString()) as { plan: Plan }).plan.nodes.pick.config;
    expect(pinned).toEqual({ method: 'single' });

    // Newark picks by zone now; the order's two SKUs lie in zones A and C there.
    for (const [sku, bin] of [
      ['NA-ZA', 'A-02-1'],
      ['NA-ZC', 'C-05-3'],
    ]) {
      await sql(
        `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values (?, ?, ?, 100, 1, 1, 1, 1000, 'USD')`,
        [sku, `BC-${sku}`, `Item ${sku}`],
      );
      await sql(
        `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, bin, updated_at)
                 select p.id, w.id, case when w.code = 'EWR' then 50 else 0 end, 0, 0, 0, ?, now() from product p, warehouse w where p.sku = ?`,
        [bin, sku],
      );
    }
    const [{ pick_method: before }] = await sql(`select pick_method from warehouse where code = 'EWR'`);
    await sql(`update warehouse set pick_method = 'zone' where code = 'EWR'`);
    try {
      const picked = async (config: Record<string, unknown>) => {
        const order = await newOrder([
          { sku: 'NA-ZA', quantity: 1 },
          { sku: 'NA-ZC', quantity: 2 },
        ]);
        const workflowId = `wf-pickm-${order.id}`;
        await act['payments.authorise'](input('authorise', created(order), { workflowId }));
        await act['payments.capture'](input('capture', created(order), { workflowId }));
        const r = await act['fulfilment.pickList'](input('pick', created(order), { workflowId, config }));
        expect(r).toMatchObject({ handle: 'ok', output: { created: true } });
        expect(await orderStatus(order.id)).toBe('picking');
        return sql(
          `select w.code as warehouse, pk.method, pk.zone, array_agg(pl.sku order by pl.sku) as skus
                      from pick_list pk join warehouse w on w.id = pk.warehouse_id join pick_list_line pl on pl.pick_list_id = pk.id
                     where pl.order_id = ? group by w.code, pk.id order by pk.id`,
          [order.id],
        );
      };
      expect(await picked(seeded)).toEqual([
        { warehouse: 'EWR', method: 'zone', zone: 'A', skus: ['NA-ZA'] },
        { warehouse: 'EWR', method: 'zone', zone: 'C', skus: ['NA-ZC'] },
      ]);
      expect(await picked(pinned)).toEqual([{ warehouse: 'EWR', method: 'single', zone: null, skus: ['NA-ZA', 'NA-ZC'] }]);
      expect(await picked({ method: 'wave' })).toEqual([{ warehouse: 'EWR', method: 'wave', zone: null, skus: ['NA-ZA', 'NA-ZC'] }]);
    } finally {
      await sql(`update warehouse set pick_method = ? where code = 'EWR'`, [before]);
    }
  });
});

describe('returns', () => {
  async function shippedOrder(quantity = 2, discount = 0) {
    const order = await newOrder([{ sku: 'NA-3', quantity, unitPrice: 1_500 }], { discount });
    const workflowId = `wf-ret-${order.id}`;
    await act['payments.authorise'](input('authorise', created(order), { workflowId }));
    await act['payments.capture'](input('capture', created(order), { workflowId }));
    const [list] = (await act['fulfilment.pickList'](input('pick', created(order), { workflowId }))).output!.pickLists as { id: number }[];
    await confirmPick(db.orm, list.id, 'NA-3', actor, quantity);
    await packOrder(db.orm, order.id, actor);
    await act['fulfilment.ship'](input('ship', created(order), { workflowId }));
    return order;
  }
  const rmaPayload = (rma: { id: number; number: string }, orderId: number, reason: string, lines: { sku: string; quantity: number }[]) => ({
    returnId: rma.id,
    rma: rma.number,
    orderId,
    lines,
    resolution: 'refund',
    reason,
  });

  it('inspect takes the handle of config.passExpression over {reason, lines}', async () => {
    const order = await shippedOrder();
    const damaged = await requestReturn(db.orm, order.id, { reason: 'damaged', lines: [{ sku: 'NA-3', quantity: 1 }] }, actor, 'test');
    const fits = await requestReturn(db.orm, order.id, { reason: 'size_or_fit', lines: [{ sku: 'NA-3', quantity: 1 }] }, actor, 'test');
    const inspect = (rma: { id: number; number: string }, reason: string, config: Record<string, unknown> = {}) =>
      input('inspect', rmaPayload(rma, order.id, reason, [{ sku: 'NA-3', quantity: 1 }]), { trigger: 'return.requested', config });

    const d = inspect(damaged, 'damaged', { passExpression: "reason != 'damaged'" });
    expect(await act['returns.inspect'](d)).toMatchObject({ handle: 'damaged', output: { result: 'damaged', changed: true } });
    expect(await act['returns.inspect'](d)).toMatchObject({ handle: 'damaged', output: { changed: false } });
    expect(await act['returns.inspect'](inspect(fits, 'size_or_fit'))).toMatchObject({ handle: 'resellable' });
    expect(await act['returns.inspect'](inspect(fits, 'size_or_fit', { passExpression: '$sum(lines.quantity) > 1' }))).toMatchObject({ handle: 'damaged' });
    expect(await sql('select status from return_request where id in (?) order by id', [[damaged.id, fits.id]])).toEqual([
      { status: 'inspected' },
      { status: 'inspected' },
    ]);
    expect(
      await count(`select count(*) as n from audit_event where action = 'return.inspected' and after ->> 'rma' in (?, ?)`, [damaged.number, fits.number]),
    ).toBe(2);
    expect(nonRetryable(await act['returns.inspect'](inspect(fits, 'x', { passExpression: 'reason = ' })).catch((e) => e))).toEqual({
      nonRetryable: true,
      type: 'bad_expression',
    });
  });

  it('approves, receives, restocks (and undoes it), and refunds the returned lines once', async () => {
    const order = await shippedOrder();
    const rma = await requestReturn(db.orm, order.id, { reason: 'size_or_fit', lines: [{ sku: 'NA-3', quantity: 1 }] }, actor, 'test');
    const payload = rmaPayload(rma, order.id, 'size_or_fit', [{ sku: 'NA-3', quantity: 1 }]);
    const step = (nodeId: string) => input(nodeId, payload, { trigger: 'return.requested', workflowId: `wf-rma-${rma.id}` });
    expect(await act['returns.createRma'](step('create'))).toMatchObject({ handle: 'ok', output: { returnId: rma.id, created: false } });
    await act['returns.approve'](step('approve'));
    expect(await act['returns.receive'](step('receive'))).toMatchObject({ handle: 'ok', output: { status: 'received', orderStatus: 'partially_returned' } });

    const before = await level('NA-3');
    const restock = step('restock');
    expect(await act['returns.restock'](restock)).toMatchObject({
      handle: 'ok',
      output: { restocked: true, lines: [{ sku: 'NA-3', warehouse: 'EWR', quantity: 1 }] },
    });
    expect(await act['returns.restock'](restock)).toMatchObject({ handle: 'ok', output: { restocked: false } });
    expect(await level('NA-3')).toEqual({ on_hand: before.on_hand + 1, reserved: before.reserved });
    await act['returns.unrestock'](undo(restock));
    await act['returns.unrestock'](undo(restock));
    expect(await level('NA-3')).toEqual(before);
    expect(await sql(`select quantity from stock_movement where kind = 'return' and reference = ? order by id`, [rma.number])).toEqual([
      { quantity: 1 },
      { quantity: -1 },
    ]);

    const refund = step('refund');
    expect(await act['returns.refund'](refund)).toMatchObject({ handle: 'ok', output: { refunded: true, amount: 1_500 } });
    expect(await act['returns.refund'](refund)).toMatchObject({ handle: 'ok', output: { refunded: false } });
    expect(await sql('select captured_minor, refunded_minor from payment where order_id = ?', [order.id])).toEqual([
      { captured_minor: 3_000, refunded_minor: 1_500 },
    ]);
    expect((await sql('select status from return_request where id = ?', [rma.id]))[0].status).toBe('refunded');
  });

  it('rejects or expires an RMA before the goods are back: its units can be returned again, and nothing moves it afterwards', async () => {
    const order = await shippedOrder(2);
    const returnable = async () => (await returnableLines(db.orm.em.fork(), order.id)).find((l) => l.sku === 'NA-3')!.returnable;
    const open = async () => {
      const rma = await requestReturn(db.orm, order.id, { reason: 'size_or_fit', lines: [{ sku: 'NA-3', quantity: 1 }] }, actor, 'test');
      return {
        rma,
        step: (nodeId: string) =>
          input(nodeId, rmaPayload(rma, order.id, 'size_or_fit', [{ sku: 'NA-3', quantity: 1 }]), {
            trigger: 'return.requested',
            workflowId: `wf-end-${rma.id}`,
          }),
      };
    };
    const refused = await open();
    expect(await returnable()).toBe(1);
    expect(await act['returns.reject'](refused.step('reject'))).toMatchObject({ handle: 'ok', output: { status: 'rejected', changed: true } });
    expect(await act['returns.reject'](refused.step('reject'))).toMatchObject({ handle: 'ok', output: { changed: false } });
    expect(await returnable()).toBe(2);
    expect(nonRetryable(await act['returns.approve'](refused.step('approve')).catch((e) => e))).toMatchObject({ type: 'return_rejected' });

    const lost = await open();
    await act['returns.approve'](lost.step('approve'));
    expect(await act['returns.expire'](lost.step('expire'))).toMatchObject({ handle: 'ok', output: { status: 'expired', changed: true } });
    expect(await returnable()).toBe(2);
    expect(nonRetryable(await act['returns.receive'](lost.step('receive')).catch((e) => e))).toMatchObject({ type: 'return_expired' });

    // Once the goods are back, it is too late to reject.
    const back = await open();
    await act['returns.approve'](back.step('approve'));
    await act['returns.receive'](back.step('receive'));
    expect(nonRetryable(await act['returns.reject'](back.step('reject')).catch((e) => e))).toMatchObject({ type: 'return_too_far' });
    expect(
      await sql(
        `select action, before ->> 'status' as was from audit_event where action in ('return.rejected', 'return.expired') and after ->> 'rma' in (?, ?) order by id`,
        [refused.rma.number, lost.rma.number],
      ),
    ).toEqual([
      { action: 'return.rejected', was: 'requested' },
      { action: 'return.expired', was: 'approved' },
    ]);
  });

  it('announces stock.adjusted and, once the level turns low, stock.low when a restock is taken back (it marked the level low in silence)', async () => {
    const order = await shippedOrder();
    const rma = await requestReturn(db.orm, order.id, { reason: 'size_or_fit', lines: [{ sku: 'NA-3', quantity: 1 }] }, actor, 'test');
    const step = (nodeId: string) =>
      input(nodeId, rmaPayload(rma, order.id, 'size_or_fit', [{ sku: 'NA-3', quantity: 1 }]), { trigger: 'return.requested', workflowId: `wf-low-${rma.id}` });
    await act['returns.approve'](step('approve'));
    await act['returns.receive'](step('receive'));
    // The reorder point sits at today's available units: low now; the restock lifts it above; taking it back makes it low again.
    const { on_hand: onHand, reserved } = await level('NA-3');
    await sql(
      `update inventory_level set reorder_point = ?, low_stock_since = now() where product_id = (select id from product where sku = 'NA-3') and warehouse_id = (select id from warehouse where code = 'EWR')`,
      [onHand - reserved],
    );
    const events = async () =>
      (await sql(`select type from outbox_event where topic = 'inventory' and payload ->> 'sku' = 'NA-3' order by id`)).map((r) => String(r.type));
    const seen = (await events()).length;
    const restock = step('restock');
    await act['returns.restock'](restock);
    expect(
      (
        await sql(
          `select low_stock_since from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id where p.sku = 'NA-3' and w.code = 'EWR'`,
        )
      )[0].low_stock_since,
    ).toBeNull();
    expect((await events()).slice(seen)).toEqual(['stock.adjusted']);
    await act['returns.unrestock'](undo(restock));
    expect((await events()).slice(seen)).toEqual(['stock.adjusted', 'stock.adjusted', 'stock.low']);
    await sql(`update inventory_level set reorder_point = 0, low_stock_since = null where product_id = (select id from product where sku = 'NA-3')`);
  });

  it('refunds what the customer paid for the units: the order discount shared over them, exactly the captured amount over two returns', async () => {
    const order = await shippedOrder(2, 300); // 2 × 1,500 less 300 = 2,700 captured
    const refundFor = async (n: number) => {
      const rma = await requestReturn(db.orm, order.id, { reason: 'size_or_fit', lines: [{ sku: 'NA-3', quantity: 1 }] }, actor, 'test');
      const step = (nodeId: string) =>
        input(nodeId, rmaPayload(rma, order.id, 'size_or_fit', [{ sku: 'NA-3', quantity: 1 }]), {
          trigger: 'return.requested',
          workflowId: `wf-disc-${rma.id}-${n}`,
        });
      await act['returns.approve'](step('approve'));
      await act['returns.receive'](step('receive'));
      return act['returns.refund'](step('refund'));
    };
    expect(await refundFor(1)).toMatchObject({ handle: 'ok', output: { refunded: true, amount: 1_350 } });
    expect(await refundFor(2)).toMatchObject({ handle: 'ok', output: { refunded: true, amount: 1_350 } });
    expect(await sql('select captured_minor, refunded_minor from payment where order_id = ?', [order.id])).toEqual([
      { captured_minor: 2_700, refunded_minor: 2_700 },
    ]);
  });

  it('exchanges with a zero-charge replacement order that ships like any other, once per key, never overselling, and undoes it', async () => {
    const order = await shippedOrder(3);
    const payloadOf = (rma: { id: number; number: string }, lines: { sku: string; quantity: number; replacementSku?: string }[]) => ({
      ...rmaPayload(rma, order.id, 'size_or_fit', lines),
      resolution: 'exchange',
    });
    const swap = await requestReturn(db.orm, order.id, { reason: 'size_or_fit', resolution: 'exchange', lines: [{ sku: 'NA-3', quantity: 2 }] }, actor, 'test');
    const exchange = input('exchange', payloadOf(swap, [{ sku: 'NA-3', quantity: 2 }]), { trigger: 'return.requested' });
    const replacements = () => sql(`select id from sales_order where external_id like ? order by id`, [`${swap.number}-X%`]);

    // Not enough stock: the insufficient handle, and nothing written.
    const stock = await level('NA-3');
    await sql(
      `update inventory_level l set on_hand = l.reserved + case when w.code = 'EWR' then 1 else 0 end from warehouse w where w.id = l.warehouse_id and l.product_id = (select id from product where sku = 'NA-3')`,
    );
    expect(await act['returns.exchange'](exchange)).toMatchObject({
      handle: 'insufficient',
      output: { shortages: [{ sku: 'NA-3', requested: 2, available: 1 }] },
    });
    expect(await replacements()).toEqual([]);
    expect((await sql('select status, replacement_order_id from return_request where id = ?', [swap.id]))[0]).toEqual({
      status: 'requested',
      replacement_order_id: null,
    });
    await sql(
      `update inventory_level l set on_hand = ? from warehouse w where w.id = l.warehouse_id and w.code = 'EWR' and l.product_id = (select id from product where sku = 'NA-3')`,
      [stock.on_hand],
    );

    // Enough: one replacement order, however often (and however concurrently) the step runs.
    const [first, second] = await Promise.all([act['returns.exchange'](exchange), act['returns.exchange'](exchange)]);
    expect([first.output?.created, second.output?.created].sort()).toEqual([false, true]);
    const made = (first.output?.created ? first : second).output!;
    expect(made).toMatchObject({ rma: swap.number, orderId: order.id, reservations: [{ sku: 'NA-3', warehouse: 'EWR', quantity: 2 }] });
    expect(await act['returns.exchange'](exchange)).toMatchObject({
      handle: 'ok',
      output: { created: false, replacementOrderId: made.replacementOrderId, replacementOrder: made.replacementOrder },
    });
    expect(await replacements()).toEqual([{ id: made.replacementOrderId }]);
    expect(await level('NA-3')).toEqual({ on_hand: stock.on_hand, reserved: stock.reserved + 2 });

    const [original] = await sql('select customer_id, channel_id, currency, shipping_address from sales_order where id = ?', [order.id]);
    const [replacement] = await sql(
      'select number, status, total_minor, subtotal_minor, payment_method, customer_id, channel_id, currency, shipping_address, warehouse_id from sales_order where id = ?',
      [made.replacementOrderId],
    );
    expect(replacement).toMatchObject({
      number: made.replacementOrder,
      status: 'paid',
      total_minor: 0,
      subtotal_minor: 0,
      payment_method: 'exchange',
      customer_id: original.customer_id,
      channel_id: original.channel_id,
      currency: original.currency,
      shipping_address: original.shipping_address,
    });
    expect(await sql('select sku, quantity, unit_price_minor, total_minor from order_line where order_id = ?', [made.replacementOrderId])).toEqual([
      { sku: 'NA-3', quantity: 2, unit_price_minor: 0, total_minor: 0 },
    ]);
    expect(await activeReservations(Number(made.replacementOrderId))).toBe(1);
    expect((await sql('select status, replacement_order_id from return_request where id = ?', [swap.id]))[0]).toEqual({
      status: 'exchanged',
      replacement_order_id: made.replacementOrderId,
    });
    expect(
      await sql(
        `select payload ->> 'status' as status, (payload ->> 'replacementFor')::int as replacement_for, (payload ->> 'total')::int as total from outbox_event where type = 'order.created' and (payload ->> 'orderId')::int = ?`,
        [made.replacementOrderId],
      ),
    ).toEqual([{ status: 'paid', replacement_for: order.id, total: 0 }]);
    expect(
      await count(`select count(*) as n from audit_event where action = 'order.created' and entity_id = ? and after -> 'replacementFor' ->> 'rma' = ?`, [
        String(made.replacementOrderId),
        swap.number,
      ]),
    ).toBe(1);
    expect(await count(`select count(*) as n from audit_event where action = 'return.exchanged' and after ->> 'rma' = ?`, [swap.number])).toBe(1);

    // It is picked, packed and shipped like any other paid order; no money moves for it.
    const replacementPayload = { orderId: made.replacementOrderId, number: made.replacementOrder, status: 'paid', total: 0 };
    const [list] = (await act['fulfilment.pickList'](input('pick', replacementPayload))).output!.pickLists as { id: number }[];
    await confirmPick(db.orm, list.id, 'NA-3', actor, 2);
    await packOrder(db.orm, Number(made.replacementOrderId), actor);
    expect(await act['fulfilment.ship'](input('ship', replacementPayload))).toMatchObject({ handle: 'ok' });
    expect(await orderStatus(Number(made.replacementOrderId))).toBe('shipped');
    expect(await level('NA-3')).toEqual({ on_hand: stock.on_hand - 2, reserved: stock.reserved });
    expect(await count('select count(*) as n from payment where order_id = ?', [made.replacementOrderId])).toBe(0);
    // Shipped: the compensation leaves it alone and says so.
    expect(await act['returns.cancelExchange'](undo(exchange))).toMatchObject({ handle: 'ok', output: { cancelled: false, reason: 'shipped' } });

    // Another SKU in exchange (another size): reserved and sent instead; the compensation cancels it
    // before it is packed, gives the stock back and puts the RMA back where it was.
    await expect(
      requestReturn(
        db.orm,
        order.id,
        { reason: 'size_or_fit', resolution: 'exchange', lines: [{ sku: 'NA-3', quantity: 1, replacementSku: 'NO-SUCH' }] },
        actor,
        'test',
      ),
    ).rejects.toMatchObject({ code: 'validation_failed', errors: [{ field: 'lines.0.replacementSku', code: 'unknown_sku' }] });
    const size = await requestReturn(
      db.orm,
      order.id,
      { reason: 'size_or_fit', resolution: 'exchange', lines: [{ sku: 'NA-3', quantity: 1, replacementSku: 'NA-1' }] },
      actor,
      'test',
    );
    const sizeSteps = (nodeId: string) =>
      input(nodeId, payloadOf(size, [{ sku: 'NA-3', quantity: 1, replacementSku: 'NA-1' }]), { trigger: 'return.requested', workflowId: `wf-size-${size.id}` });
    await act['returns.approve'](sizeSteps('approve'));
    await act['returns.receive'](sizeSteps('receive'));
    const na1 = await level('NA-1');
    const sized = await act['returns.exchange'](sizeSteps('exchange'));
    expect(sized).toMatchObject({ handle: 'ok', output: { created: true, reservations: [{ sku: 'NA-1', warehouse: 'EWR', quantity: 1 }] } });
    expect(await sql('select sku, quantity, unit_price_minor from order_line where order_id = ?', [sized.output!.replacementOrderId])).toEqual([
      { sku: 'NA-1', quantity: 1, unit_price_minor: 0 },
    ]);
    expect(await level('NA-1')).toEqual({ on_hand: na1.on_hand, reserved: na1.reserved + 1 });
    const undone = undo(sizeSteps('exchange'));
    expect(await act['returns.cancelExchange'](undone)).toMatchObject({
      handle: 'ok',
      output: { cancelled: true, replacementOrderId: sized.output!.replacementOrderId },
    });
    expect(await act['returns.cancelExchange'](undone)).toMatchObject({ handle: 'ok', output: { cancelled: true } });
    expect(await orderStatus(Number(sized.output!.replacementOrderId))).toBe('cancelled');
    expect(await level('NA-1')).toEqual(na1);
    expect((await sql('select status, replacement_order_id from return_request where id = ?', [size.id]))[0]).toEqual({
      status: 'received',
      replacement_order_id: null,
    });
    expect(await count(`select count(*) as n from audit_event where action = 'return.exchange_cancelled' and after ->> 'rma' = ?`, [size.number])).toBe(1);
  });
});

describe('replenishment', () => {
  const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);

  it('drafts a PO sized by sales velocity, once per key, then approves, sends and receives it into stock', async () => {
    // Sales of NA-PO from Newark: 60 units in the last 30 days (30 of them in the last 7), 50 older, 7 cancelled.
    for (const [quantity, age] of [
      [10, 2],
      [20, 5],
      [30, 10],
      [50, 40],
    ] as const)
      await newOrder([{ sku: 'NA-PO', quantity }], { placedAt: daysAgo(age) });
    const cancelled = await newOrder([{ sku: 'NA-PO', quantity: 7 }], { placedAt: daysAgo(1) });
    await cancelOrder(db.orm, cancelled.id, actor);
    // 15 units already on order from the first supplier (at 450 a unit). No supplier lists NA-PO, so it is ordered from there again at that cost.
    const [supplier] = await sql(`select id, code from supplier where active order by id limit 1`);
    await sql(
      `insert into purchase_order (number, supplier_id, warehouse_id, status, currency, created_at, updated_at) select 'PO-TEST-1', ?, w.id, 'approved', 'USD', now(), now() from warehouse w where w.code = 'EWR'`,
      [supplier.id],
    );
    await sql(
      `insert into purchase_order_line (purchase_order_id, product_id, quantity, received, unit_cost_minor) select po.id, p.id, 15, 0, 450 from purchase_order po, product p where po.number = 'PO-TEST-1' and p.sku = 'NA-PO'`,
    );
    expect(await level('NA-PO')).toEqual({ on_hand: 120, reserved: 110 });

    const [lvl] = await sql(
      `select l.id from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id where p.sku = 'NA-PO' and w.code = 'EWR'`,
    );
    const trigger = { levelId: lvl.id, sku: 'NA-PO', warehouse: 'EWR' };
    expect(await act['inventory.checkAtp'](input('check', trigger, { trigger: 'stock.low' }))).toMatchObject({
      handle: 'low',
      output: { atp: 10, inbound: 15, projected: 25, reorderPoint: 30 },
    });

    // 60 sold / 30 days × 45 days cover + reorder point 30 − (120 − 110 + 15) = 90 + 30 − 25 = 95.
    const draft = input('draft', trigger, { trigger: 'stock.low', config: { velocityDays: 30, coverDays: 45 } });
    const d1 = await act['inventory.draftPo'](draft);
    expect(d1).toMatchObject({
      handle: 'ok',
      output: {
        created: true,
        number: poNumberForKey(draft.key),
        status: 'draft',
        unitsSold: 60,
        quantity: 95,
        supplier: supplier.code,
        unitCostKnown: true,
        unitCost: 450,
        totalMinor: 95 * 450,
        supplierChoice: { reason: 'last_ordered' },
      },
    });
    expect(await act['inventory.draftPo'](draft)).toMatchObject({
      handle: 'ok',
      output: { created: false, purchaseOrderId: d1.output!.purchaseOrderId, quantity: 95 },
    });
    expect(await count('select count(*) as n from purchase_order where number = ?', [poNumberForKey(draft.key)])).toBe(1);
    expect(await sql('select quantity, unit_cost_minor from purchase_order_line where purchase_order_id = ?', [d1.output!.purchaseOrderId])).toEqual([
      { quantity: 95, unit_cost_minor: 450 },
    ]);

    // Over 7 days: 30 sold → 30 / 7 × 45 = 192.86; + 30 − (10 + 15 + the 95 just drafted) = 102.86 → 103.
    const draft7 = input('draft', trigger, { trigger: 'stock.low', config: { velocityDays: 7, coverDays: 45 } });
    const d7 = await act['inventory.draftPo'](draft7);
    expect(d7.output).toMatchObject({ unitsSold: 30, quantity: 103 });

    // The first draft is undone by its compensation; the second goes all the way.
    expect(await act['inventory.cancelPo'](undo(draft))).toMatchObject({ handle: 'ok', output: { cancelled: true, status: 'cancelled' } });
    expect(await act['inventory.cancelPo'](undo(draft))).toMatchObject({ handle: 'ok', output: { cancelled: true, status: 'cancelled' } });

    const nodes = { draft: d7.output! };
    const po = (nodeId: string) => input(nodeId, trigger, { trigger: 'stock.low', nodes });
    expect(nonRetryable(await act['inventory.sendPo'](po('send')).catch((e) => e))).toEqual({ nonRetryable: true, type: 'illegal_transition' });
    expect(await act['inventory.approvePo'](po('approve'))).toMatchObject({ handle: 'ok', output: { status: 'approved', changed: true } });
    expect(await act['inventory.sendPo'](po('send'))).toMatchObject({
      handle: 'ok',
      output: { status: 'sent', changed: true, to: expect.stringContaining('@'), notificationId: expect.any(Number) },
    });
    expect(await act['inventory.sendPo'](po('send'))).toMatchObject({ handle: 'ok', output: { changed: false } });
    expect(await sql(`select template, "to", status from notification where idempotency_key = ?`, [`purchase-order:${d7.output!.number}`])).toEqual([
      { template: 'purchase_order', to: expect.stringContaining('@'), status: 'queued' },
    ]);
    expect(await count(`select count(*) as n from outbox_event where type = 'po.sent' and payload ->> 'number' = ?`, [d7.output!.number])).toBe(1);

    const receive = po('receive');
    expect(await act['inventory.receivePo'](receive)).toMatchObject({
      handle: 'ok',
      output: { status: 'received', received: [{ sku: 'NA-PO', quantity: 103, onHand: 223 }] },
    });
    expect(await act['inventory.receivePo'](receive)).toMatchObject({ handle: 'ok', output: { changed: false } });
    expect(await level('NA-PO')).toEqual({ on_hand: 223, reserved: 110 });
    expect(
      await sql(`select m.kind, m.quantity, m.on_hand_after, m.reference from stock_movement m join product p on p.id = m.product_id where p.sku = 'NA-PO'`),
    ).toEqual([{ kind: 'receipt', quantity: 103, on_hand_after: 223, reference: d7.output!.number }]);
    expect(await sql('select quantity, received from purchase_order_line where purchase_order_id = ?', [d7.output!.purchaseOrderId])).toEqual([
      { quantity: 103, received: 103 },
    ]);
    expect(
      await sql(`select action from audit_event where entity_type = 'PurchaseOrder' and entity_id = ? order by id`, [String(d7.output!.purchaseOrderId)]),
    ).toEqual([
      { action: 'purchase_order.drafted' },
      { action: 'purchase_order.approved' },
      { action: 'purchase_order.sent' },
      { action: 'purchase_order.received' },
    ]);
  });
});

describe('choosing the supplier of a drafted purchase order', () => {
  const offer = (supplier: string, sku: string, unitCost: number, o: { leadTimeDays?: number; preferred?: boolean } = {}) =>
    sql(
      `insert into supplier_product (supplier_id, product_id, unit_cost_minor, lead_time_days, preferred, updated_at)
         select s.id, p.id, ?, ?, ?, now() from supplier s, product p where s.code = ? and p.sku = ?
         on conflict (supplier_id, product_id) do update set unit_cost_minor = excluded.unit_cost_minor, lead_time_days = excluded.lead_time_days, preferred = excluded.preferred`,
      [unitCost, o.leadTimeDays ?? null, o.preferred ?? false, supplier, sku],
    );
  let trigger: Record<string, unknown>;
  const draft = () => act['inventory.draftPo'](input('draft', trigger, { trigger: 'stock.low' }));
  const poOf = async (id: unknown) =>
    (
      await sql(
        `select s.code as supplier, po.currency, round(extract(epoch from po.expected_at - po.created_at) / 86400) as lead, pl.unit_cost_minor as cost
       from purchase_order po join supplier s on s.id = po.supplier_id join purchase_order_line pl on pl.purchase_order_id = po.id where po.id = ?`,
        [id],
      )
    )[0];

  beforeAll(async () => {
    await sql(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values ('NA-SUP', 'BC-NA-SUP', 'Item NA-SUP', 100, 1, 1, 1, 2000, 'USD')`,
    );
    await sql(`insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, updated_at)
               select p.id, w.id, 2, 0, 10, 40, now() from product p, warehouse w where p.sku = 'NA-SUP' and w.code = 'EWR'`);
    await sql(
      `insert into supplier (code, name, email, locale, currency, lead_time_days, active) values ('QUICK', 'Quick Parts', 'sales@quick.example', 'en', 'USD', 3, true)`,
    );
    const [lvl] = await sql(
      `select l.id from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id where p.sku = 'NA-SUP' and w.code = 'EWR'`,
    );
    trigger = { levelId: lvl.id, sku: 'NA-SUP', warehouse: 'EWR' };
  });
  afterAll(async () => {
    await sql(`update supplier set active = true where code = 'ACME'`);
  });

  it('refuses when no active supplier offers the product and nobody was ever ordered it from', async () => {
    expect(nonRetryable(await draft().catch((e) => e))).toEqual({ nonRetryable: true, type: 'no_supplier' });
    expect(
      await count(
        `select count(*) as n from purchase_order po join purchase_order_line pl on pl.purchase_order_id = po.id join product p on p.id = pl.product_id where p.sku = 'NA-SUP'`,
      ),
    ).toBe(0);
  });

  it('takes the lowest unit cost across currencies (through the exchange rates), at that supplier’s cost, currency and lead time, and says why', async () => {
    // 68.00 CNY at 7.12 per USD is 9.55 USD: cheaper than Acme's 10.00 USD, though three weeks away.
    await offer('ACME', 'NA-SUP', 1_000);
    await offer('SZ-SOURCING', 'NA-SUP', 6_800);
    const d = await draft();
    expect(d.output).toMatchObject({
      supplier: 'SZ-SOURCING',
      currency: 'CNY',
      unitCost: 6_800,
      unitCostKnown: true,
      quantity: 40,
      totalMinor: 40 * 6_800,
      leadTimeDays: 21,
      supplierChoice: {
        reason: 'lowest_cost',
        compared: [
          { supplier: 'SZ-SOURCING', unitCost: 6_800, currency: 'CNY', leadTimeDays: 21, preferred: false },
          { supplier: 'ACME', unitCost: 1_000, currency: 'USD', leadTimeDays: 10, preferred: false },
        ],
      },
    });
    expect(await poOf(d.output!.purchaseOrderId)).toEqual({ supplier: 'SZ-SOURCING', currency: 'CNY', lead: '21', cost: 6_800 });
    expect(
      await sql(
        `select after -> 'supplierChoice' ->> 'reason' as reason, after ->> 'supplier' as supplier from audit_event where action = 'purchase_order.drafted' and entity_id = ?`,
        [String(d.output!.purchaseOrderId)],
      ),
    ).toEqual([{ reason: 'lowest_cost', supplier: 'SZ-SOURCING' }]);
  });

  it('among equal costs takes the shortest lead time (the offer’s own, else the supplier’s)', async () => {
    await offer('ACME', 'NA-SUP', 900);
    await offer('QUICK', 'NA-SUP', 900);
    await offer('SZ-SOURCING', 'NA-SUP', 7_000);
    const d = await draft();
    expect(d.output).toMatchObject({ supplier: 'QUICK', currency: 'USD', unitCost: 900, leadTimeDays: 3, supplierChoice: { reason: 'shortest_lead_time' } });
    expect(await poOf(d.output!.purchaseOrderId)).toMatchObject({ supplier: 'QUICK', lead: '3' });
    await offer('ACME', 'NA-SUP', 900, { leadTimeDays: 2 });
    expect((await draft()).output).toMatchObject({ supplier: 'ACME', leadTimeDays: 2, supplierChoice: { reason: 'shortest_lead_time' } });
  });

  it('takes the product’s preferred supplier whatever the others offer, unless it is inactive', async () => {
    await offer('ACME', 'NA-SUP', 1_500, { preferred: true });
    const d = await draft();
    expect(d.output).toMatchObject({ supplier: 'ACME', unitCost: 1_500, supplierChoice: { reason: 'preferred' } });
    expect(await poOf(d.output!.purchaseOrderId)).toMatchObject({ supplier: 'ACME', cost: 1_500, lead: '10' });
    // One preferred supplier per product, at the database level.
    await expect(offer('QUICK', 'NA-SUP', 900, { preferred: true })).rejects.toThrow(/supplier_product_preferred_unique/);

    await sql(`update supplier set active = false where code = 'ACME'`);
    expect((await draft()).output).toMatchObject({ supplier: 'QUICK', supplierChoice: { reason: 'lowest_cost', preferredUnavailable: 'ACME' } });
    await sql(`update supplier set active = true where code = 'ACME'`);
  });
});

describe('notifications', () => {
  it('queues an email once per key, and raises an alert once', async () => {
    const order = await newOrder([{ sku: 'NA-1', quantity: 1 }]);
    const email = input('email', created(order), { config: { template: 'order_delivered' } });
    const e1 = await act['notifications.email'](email);
    expect(e1).toMatchObject({ handle: 'ok', output: { queued: true, template: 'order_delivered' } });
    expect(await act['notifications.email'](email)).toMatchObject({ handle: 'ok', output: { queued: false, notificationId: e1.output!.notificationId } });
    expect(await count(`select count(*) as n from notification where order_id = ? and template = 'order_delivered'`, [order.id])).toBe(1);
    expect(await count(`select count(*) as n from audit_event where action = 'notification.queued' and entity_id = ?`, [String(order.id)])).toBe(1);

    const alert = input('alert', created(order), { config: { message: 'Order stuck', severity: 'critical' } });
    expect(await act['notifications.alert'](alert)).toMatchObject({ handle: 'ok', output: { raised: true, emailed: 2 } });
    expect(await act['notifications.alert'](alert)).toMatchObject({ handle: 'ok', output: { raised: false, emailed: 0 } });
    // The seeded admin and ops manager each get one email (the default roles), however often the step runs.
    expect(
      await sql(`select n."to" from notification n where n.template = 'staff_alert' and n.idempotency_key like ? order by n."to"`, [`alert:${alert.key}:%`]),
    ).toEqual([{ to: 'admin@demo.test' }, { to: 'ops@demo.test' }]);
    expect(await sql(`select topic, payload ->> 'severity' as severity, payload ->> 'workflowId' as wf from outbox_event where type = 'alert.raised'`)).toEqual(
      [{ topic: 'dashboards', severity: 'critical', wf: alert.workflowId }],
    );
  });
});
