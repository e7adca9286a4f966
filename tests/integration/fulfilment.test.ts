import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { createPayment } from '../../app/modules/payments/service.server.ts';
import { confirmPick, createPickLists, packOrder, pickListsForOrders, recordTrackingEvent, shipOrder } from '../../app/modules/fulfilment/service.server.ts';
import { cancelOrder, holdOrder } from '../../app/modules/orders/service.server.ts';
import { nodeActivities } from '../../activities/nodes/index.ts';
import { requestReturn } from '../../app/modules/returns/service.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'picker' };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase('ful');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  // Move the seeded history out of the way so only this test's orders are eligible for picking.
  await sql(`update sales_order set status = 'completed' where status in ('paid', 'allocated', 'picking', 'packed')`);
  // F-A..F-C only in Newark; F-R only in Reno, so an order of F-A and F-R is split over both.
  for (const [sku, bin, warehouse] of [
    ['F-A', 'A-01-1', 'EWR'],
    ['F-B', 'B-02-1', 'EWR'],
    ['F-C', 'C-03-1', 'EWR'],
    ['F-R', 'R-01-1', 'RNO'],
  ]) {
    await sql(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values (?, ?, ?, 500, 1, 1, 1, 1000, 'USD')`,
      [sku, `BC-${sku}`, `Item ${sku}`],
    );
    await sql(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, bin, updated_at)
               select p.id, w.id, case when w.code = ? then 50 else 0 end, 0, 0, 0, ?, now() from product p, warehouse w where p.sku = ?`,
      [warehouse, bin, sku],
    );
  }
});
afterAll(async () => {
  await db.drop();
});

async function paidOrder(lines: { sku: string; quantity: number }[], delivery: 'standard' | 'express' = 'standard') {
  const r = await createOrder(
    db.orm,
    {
      channel: 'web',
      externalId: `FUL-${++n}`,
      customer: { email: 'ful@example.com', name: 'Ful Filment' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: lines.map((l) => ({ ...l, unitPrice: 1000 })),
      paymentMethod: 'manual',
      deliveryMethod: delivery,
    },
    { actor, baseCurrency: 'USD' },
  );
  if (r.replayed) throw new Error('replayed');
  await createPayment(db.orm, r.order.id, { provider: 'manual', method: 'cash' }, `pay-${r.order.id}`, actor);
  return r.order;
}
const status = async (id: number) => (await sql('select status from sales_order where id = ?', [id]))[0].status;
const level = async (sku: string) =>
  (
    await sql(
      `select on_hand, reserved from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id where p.sku = ? and w.code = 'EWR'`,
      [sku],
    )
  )[0];

describe('from payment to the door', () => {
  it('picks by scanning, packs, ships with a carrier by the rules, and closes on delivery', async () => {
    const order = await paidOrder([
      { sku: 'F-B', quantity: 2 },
      { sku: 'F-A', quantity: 1 },
    ]);
    expect(await level('F-B')).toEqual({ on_hand: 50, reserved: 2 });

    const [list] = await createPickLists(db.orm, { warehouse: 'EWR', method: 'single' }, actor);
    expect(list).toMatchObject({ orders: 1, lines: 2 });
    expect(await status(order.id)).toBe('picking');
    await expect(packOrder(db.orm, order.id, actor)).rejects.toMatchObject({ code: 'not_picked' });

    await expect(confirmPick(db.orm, list.id, 'BC-F-C', actor)).rejects.toMatchObject({ status: 422, code: 'not_on_pick_list' });
    expect(await confirmPick(db.orm, list.id, 'BC-F-A', actor)).toMatchObject({ sku: 'F-A', picked: 1, remaining: 2 });
    await expect(confirmPick(db.orm, list.id, 'F-A', actor)).rejects.toMatchObject({ code: 'already_picked' });
    await confirmPick(db.orm, list.id, 'F-B', actor);
    expect(await confirmPick(db.orm, list.id, 'BC-F-B', actor)).toMatchObject({ remaining: 0, done: true });
    expect((await sql('select status from pick_list where id = ?', [list.id]))[0].status).toBe('picked');

    await packOrder(db.orm, order.id, actor);
    const shipped = await shipOrder(db.orm, order.id, actor);
    expect(shipped.shipments).toEqual([
      expect.objectContaining({ carrier: 'usps', service: 'Ground Advantage', trackingNumber: expect.stringMatching(/^9400/) }),
    ]);
    expect(await status(order.id)).toBe('shipped');
    expect(await level('F-B')).toEqual({ on_hand: 48, reserved: 0 });
    expect(await sql(`select kind, quantity, reference from stock_movement m join product p on p.id = m.product_id where p.sku = 'F-B'`)).toEqual([
      { kind: 'shipment', quantity: -2, reference: order.number },
    ]);

    const tracking = shipped.shipments[0].trackingNumber;
    expect(await recordTrackingEvent(db.orm, tracking, { status: 'in_transit', location: 'Newark, NJ' }, 'api', actor)).toMatchObject({ status: 'in_transit' });
    const at = '2026-11-20T10:00:00Z';
    await recordTrackingEvent(db.orm, tracking, { status: 'delivered', occurredAt: at }, 'api', actor);
    expect(await recordTrackingEvent(db.orm, tracking, { status: 'delivered', occurredAt: at }, 'api', actor)).toMatchObject({ duplicate: true });
    expect(await status(order.id)).toBe('delivered');
    await expect(recordTrackingEvent(db.orm, tracking, { status: 'in_transit' }, 'api', actor)).rejects.toMatchObject({ code: 'shipment_closed' });
    expect((await sql<{ template: string }>(`select template from notification where order_id = ? order by id`, [order.id])).map((r) => r.template)).toEqual([
      'order_confirmation',
      'order_shipped',
      'order_delivered',
    ]);
  });

  it('groups by method: batch, zone and wave', async () => {
    const a = await paidOrder([
      { sku: 'F-A', quantity: 1 },
      { sku: 'F-C', quantity: 1 },
    ]);
    const b = await paidOrder([{ sku: 'F-C', quantity: 1 }], 'express');
    const zone = await createPickLists(db.orm, { warehouse: 'EWR', method: 'zone', orderIds: [a.id, b.id] }, actor);
    expect(zone.map((z) => [z.zone, z.orders])).toEqual([
      ['A', 1],
      ['C', 2],
    ]);
    // Both orders are on lists now: no list twice for one order.
    await expect(createPickLists(db.orm, { warehouse: 'EWR', method: 'batch', orderIds: [a.id, b.id] }, actor)).rejects.toMatchObject({
      code: 'nothing_to_pick',
    });
  });

  it('refuses to ship an order that is not packed, and names a bad method', async () => {
    const o = await paidOrder([{ sku: 'F-A', quantity: 1 }]);
    await expect(shipOrder(db.orm, o.id, actor)).rejects.toMatchObject({ code: 'illegal_transition' });
    await expect(createPickLists(db.orm, { warehouse: 'EWR', method: 'telepathy' }, actor)).rejects.toMatchObject({
      status: 422,
      errors: [expect.objectContaining({ field: 'method' })],
    });
  });

  it('refuses to ship a packed order that holds no stock, and writes nothing (no shipment without a parcel)', async () => {
    const o = await paidOrder([{ sku: 'F-C', quantity: 1 }]);
    // A packed order whose reservation was given back (the demo data has one): nothing to put in a parcel.
    await sql(`update reservation set status = 'released', released_at = now() where order_id = ?`, [o.id]);
    await sql(`update inventory_level l set reserved = reserved - 1 from product p where p.id = l.product_id and p.sku = 'F-C' and l.reserved > 0`);
    await sql(`update sales_order set status = 'packed' where id = ?`, [o.id]);
    await expect(shipOrder(db.orm, o.id, actor)).rejects.toMatchObject({ status: 409, code: 'nothing_to_ship' });
    expect(await status(o.id)).toBe('packed');
    expect(await sql('select id from shipment where order_id = ?', [o.id])).toEqual([]);
  });
});

describe('returns', () => {
  it('lets the customer return delivered items once, up to what shipped', async () => {
    const order = await paidOrder([{ sku: 'F-A', quantity: 2 }]);
    await expect(requestReturn(db.orm, order.id, { reason: 'damaged', lines: [{ sku: 'F-A', quantity: 1 }] }, actor, 'test')).rejects.toMatchObject({
      code: 'not_returnable',
    });
    const [list] = await createPickLists(db.orm, { warehouse: 'EWR', method: 'single', orderIds: [order.id] }, actor);
    await confirmPick(db.orm, list.id, 'F-A', actor, 2);
    await packOrder(db.orm, order.id, actor);
    await shipOrder(db.orm, order.id, actor);
    const rma = await requestReturn(db.orm, order.id, { reason: 'damaged', resolution: 'exchange', lines: [{ sku: 'F-A', quantity: 1 }] }, actor, 'test');
    expect(rma.number).toMatch(/^RMA-[0-9A-F]{8}$/);
    await expect(requestReturn(db.orm, order.id, { reason: 'damaged', lines: [{ sku: 'F-A', quantity: 2 }] }, actor, 'test')).rejects.toMatchObject({
      errors: [expect.objectContaining({ field: 'lines.0.quantity', params: { max: 1 } })],
    });
    await expect(requestReturn(db.orm, order.id, { reason: 'damaged', lines: [{ sku: 'F-A', quantity: 0 }] }, actor, 'test')).rejects.toMatchObject({
      errors: [expect.objectContaining({ code: 'nothing_selected' })],
    });
    expect(await sql(`select type, payload ->> 'rma' as rma from outbox_event where type = 'return.requested'`)).toEqual([
      { type: 'return.requested', rma: rma.number },
    ]);
  });
});

describe('pick lists for chosen orders (the orders list\'s "print pick lists")', () => {
  const listsOf = async (orderId: number) =>
    (await sql(
      `select distinct pk.number, w.code as warehouse, pk.method from pick_list_line pl join pick_list pk on pk.id = pl.pick_list_id join warehouse w on w.id = pk.warehouse_id
      where pl.order_id = ? and pk.status <> 'cancelled' order by w.code`,
      [orderId],
    )) as { number: string; warehouse: string; method: string }[];
  const warehouseOf = async (id: number) =>
    (await sql('select w.code from sales_order o left join warehouse w on w.id = o.warehouse_id where o.id = ?', [id]))[0].code;

  it("batches by each warehouse's method and reports, per order, why the others got none", async () => {
    await sql(`update warehouse set pick_method = 'batch', pick_batch_size = 2 where code = 'EWR'`);
    const [a, b, c] = [
      await paidOrder([{ sku: 'F-A', quantity: 1 }]),
      await paidOrder([{ sku: 'F-B', quantity: 1 }]),
      await paidOrder([{ sku: 'F-C', quantity: 2 }]),
    ];
    const held = await paidOrder([{ sku: 'F-A', quantity: 1 }]);
    await holdOrder(db.orm, held.id, actor, 'check address');
    const unpaid = (await createOrder(
      db.orm,
      {
        channel: 'web',
        externalId: `FUL-${++n}`,
        customer: { email: 'ful@example.com', name: 'Ful Filment' },
        shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
        currency: 'USD',
        lines: [{ sku: 'F-A', quantity: 1, unitPrice: 1000 }],
        paymentMethod: 'manual',
      },
      { actor, baseCurrency: 'USD' },
    )) as { replayed: false; order: { id: number } };
    const unreserved = await paidOrder([{ sku: 'F-B', quantity: 1 }]);
    await sql(`update reservation set status = 'released' where order_id = ?`, [unreserved.id]);
    const cancelled = await paidOrder([{ sku: 'F-A', quantity: 1 }]);
    await cancelOrder(db.orm, cancelled.id, actor, 'changed mind');
    const auditsBefore = Number((await sql(`select count(*) as n from audit_event where action = 'fulfilment.pick_lists_created'`))[0].n);

    const r = await pickListsForOrders(db.orm, { orderIds: [a.id, b.id, c.id, held.id, unpaid.order.id, unreserved.id, cancelled.id, 999_999] }, actor);
    expect(r.created.map((l) => [l.warehouse, l.method, l.orders])).toEqual([
      ['EWR', 'batch', 2],
      ['EWR', 'batch', 1],
    ]);
    expect(r.existing).toEqual([]);
    expect(r.orderIds).toEqual([a.id, b.id, c.id]);
    expect(r.refused.map((x) => [x.orderId, x.reason])).toEqual([
      [held.id, 'on_hold'],
      [unpaid.order.id, 'not_paid'],
      [unreserved.id, 'not_allocated'],
      [cancelled.id, 'closed'],
      [999_999, 'not_found'],
    ]);
    for (const o of [a, b, c]) expect(await status(o.id)).toBe('picking');
    expect(await status(held.id)).toBe('on_hold');
    expect(await status(unpaid.order.id)).toBe('awaiting_payment');
    for (const o of [held, unreserved, cancelled]) expect(await listsOf(o.id)).toEqual([]);
    // Lines walk the warehouse by bin.
    const lines = await sql<{ bin: string }>(`select bin from pick_list_line where pick_list_id = ? order by id`, [r.created[0].id]);
    expect(lines.map((l) => l.bin)).toEqual(['A-01-1', 'B-02-1']);
    expect(Number((await sql(`select count(*) as n from audit_event where action = 'fulfilment.pick_lists_created'`))[0].n)).toBe(auditsBefore + 1);

    // Asked again: nothing new; the list still to pick comes back to be printed again. Once picked: refused.
    const again = await pickListsForOrders(db.orm, { orderIds: [a.id] }, actor);
    expect(again).toMatchObject({ created: [], existing: [{ id: r.created[0].id, number: r.created[0].number, warehouse: 'EWR' }], refused: [] });
    await confirmPick(db.orm, r.created[1].id, 'F-C', actor, 2);
    expect((await pickListsForOrders(db.orm, { orderIds: [c.id] }, actor)).refused).toMatchObject([{ reason: 'picked', pickLists: [r.created[1].number] }]);
    await packOrder(db.orm, c.id, actor);
    expect((await pickListsForOrders(db.orm, { orderIds: [c.id] }, actor)).refused).toMatchObject([{ reason: 'picked', status: 'packed' }]);
    // A method given for the call wins over the warehouse's.
    const d = await paidOrder([{ sku: 'F-A', quantity: 1 }]);
    expect((await pickListsForOrders(db.orm, { orderIds: [d.id], method: 'zone' }, actor)).created).toMatchObject([
      { warehouse: 'EWR', method: 'zone', zone: 'A' },
    ]);
    await sql(`update warehouse set pick_method = 'single', pick_batch_size = 10 where code = 'EWR'`);
  });

  it('writes nothing at all when one list fails', async () => {
    const ok = await paidOrder([{ sku: 'F-A', quantity: 1 }]);
    const split = await paidOrder([
      { sku: 'F-B', quantity: 1 },
      { sku: 'F-R', quantity: 1 },
    ]);
    await sql(
      `create function fail_for_reno() returns trigger language plpgsql as $$ begin if new.sku = 'F-R' then raise exception 'printer on fire'; end if; return new; end $$`,
    );
    await sql(`create trigger fail_for_reno before insert on pick_list_line for each row execute function fail_for_reno()`);
    try {
      await expect(pickListsForOrders(db.orm, { orderIds: [ok.id, split.id] }, actor)).rejects.toThrow(/printer on fire/);
    } finally {
      await sql('drop trigger fail_for_reno on pick_list_line; drop function fail_for_reno()');
    }
    for (const o of [ok, split]) {
      expect(await status(o.id)).toBe('paid');
      expect(await listsOf(o.id)).toEqual([]);
    }
  });

  it('gives a split order one list in each warehouse, once, and keeps it split', async () => {
    const order = await paidOrder([
      { sku: 'F-A', quantity: 1 },
      { sku: 'F-R', quantity: 2 },
    ]);
    expect(await warehouseOf(order.id)).toBeNull();
    const r = await pickListsForOrders(db.orm, { orderIds: [order.id] }, actor);
    expect(r.created.map((l) => l.warehouse)).toEqual(['EWR', 'RNO']);
    expect((await listsOf(order.id)).map((l) => l.warehouse)).toEqual(['EWR', 'RNO']);
    expect(await status(order.id)).toBe('picking');
    expect(await warehouseOf(order.id)).toBeNull();
    expect(await pickListsForOrders(db.orm, { orderIds: [order.id] }, actor)).toMatchObject({
      created: [],
      existing: [{ warehouse: 'EWR' }, { warehouse: 'RNO' }],
      refused: [],
    });
    expect(await listsOf(order.id)).toHaveLength(2);
  });

  it('lets the fulfilment screen pick a split order warehouse by warehouse', async () => {
    const order = await paidOrder([
      { sku: 'F-A', quantity: 1 },
      { sku: 'F-R', quantity: 1 },
    ]);
    await createPickLists(db.orm, { warehouse: 'EWR', method: 'single', orderIds: [order.id] }, actor);
    expect(await status(order.id)).toBe('picking');
    // The order is picking now, but Reno's part still needs its list.
    const [reno] = await createPickLists(db.orm, { warehouse: 'RNO', method: 'single', orderIds: [order.id] }, actor);
    expect(reno).toMatchObject({ warehouse: 'RNO', lines: 1 });
    await expect(createPickLists(db.orm, { warehouse: 'RNO', method: 'single', orderIds: [order.id] }, actor)).rejects.toMatchObject({
      code: 'nothing_to_pick',
    });
    // Packing waits for both warehouses.
    const lists = await sql<{ id: number; sku: string }>(
      `select distinct pl.pick_list_id as id, p.sku from pick_list_line pl join product p on p.id = pl.product_id where pl.order_id = ?`,
      [order.id],
    );
    await confirmPick(db.orm, lists.find((l) => l.sku === 'F-A')!.id, 'F-A', actor);
    await expect(packOrder(db.orm, order.id, actor)).rejects.toMatchObject({ code: 'not_picked' });
    await confirmPick(db.orm, lists.find((l) => l.sku === 'F-R')!.id, 'F-R', actor);
    await packOrder(db.orm, order.id, actor);
    expect((await shipOrder(db.orm, order.id, actor)).shipments).toHaveLength(2);
  });

  it("the workflow's pick step makes the missing warehouse's list and nothing twice", async () => {
    const act = nodeActivities({ orm: db.orm });
    const order = await paidOrder([
      { sku: 'F-B', quantity: 1 },
      { sku: 'F-R', quantity: 1 },
    ]);
    // One warehouse's list exists already (made by hand, or by an attempt that stopped half-way in an older version).
    await createPickLists(db.orm, { warehouse: 'EWR', method: 'single', orderIds: [order.id] }, actor);
    const step = {
      key: `wf-split-${order.id}:pick:1`,
      workflowId: `wf-split-${order.id}`,
      nodeId: 'pick',
      config: { method: 'single' },
      context: { trigger: { type: 'order.created', payload: { orderId: order.id } }, nodes: {} },
    };
    const first = await act['fulfilment.pickList'](step);
    expect(first).toMatchObject({
      handle: 'ok',
      output: { created: true, pickLists: [expect.objectContaining({ warehouse: 'EWR' }), expect.objectContaining({ warehouse: 'RNO' })] },
    });
    expect(await act['fulfilment.pickList'](step)).toMatchObject({ handle: 'ok', output: { created: false, pickLists: first.output!.pickLists } });
    expect(await listsOf(order.id)).toHaveLength(2);
  });
});
