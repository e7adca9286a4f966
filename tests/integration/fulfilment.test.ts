import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { createPayment } from '../../app/modules/payments/service.server.ts';
import { confirmPick, createPickLists, packOrder, recordTrackingEvent, shipOrder } from '../../app/modules/fulfilment/service.server.ts';
import { requestReturn } from '../../app/modules/returns/service.server.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let db: TestDatabase;
const actor = { ...SYSTEM, label: 'picker' };
const sql = (q: string, p: unknown[] = []) => db.orm.em.getConnection().execute(q, p);
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase('ful');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  // Move the seeded history out of the way so only this test's orders are eligible for picking.
  await sql(`update sales_order set status = 'completed' where status in ('paid', 'allocated', 'picking', 'packed')`);
  for (const [sku, bin] of [['F-A', 'A-01-1'], ['F-B', 'B-02-1'], ['F-C', 'C-03-1']]) {
    await sql(`insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values (?, ?, ?, 500, 1, 1, 1, 1000, 'USD')`, [sku, `BC-${sku}`, `Item ${sku}`]);
    await sql(`insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, bin, updated_at)
               select p.id, w.id, case when w.code = 'EWR' then 50 else 0 end, 0, 0, 0, ?, now() from product p, warehouse w where p.sku = ?`, [bin, sku]);
  }
});
afterAll(async () => { await db.drop(); });

async function paidOrder(lines: { sku: string; quantity: number }[], delivery: 'standard' | 'express' = 'standard') {
  const r = await createOrder(db.orm, {
    channel: 'web', externalId: `FUL-${++n}`, customer: { email: 'ful@example.com', name: 'Ful Filment' },
    shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 }, currency: 'USD',
    lines: lines.map((l) => ({ ...l, unitPrice: 1000 })), paymentMethod: 'manual', deliveryMethod: delivery,
  }, { actor, baseCurrency: 'USD' });
  if (r.replayed) throw new Error('replayed');
  await createPayment(db.orm, r.order.id, { provider: 'manual', method: 'cash' }, `pay-${r.order.id}`, actor);
  return r.order;
}
const status = async (id: number) => (await sql('select status from sales_order where id = ?', [id]))[0].status;
const level = async (sku: string) => (await sql(`select on_hand, reserved from inventory_level l join product p on p.id = l.product_id join warehouse w on w.id = l.warehouse_id where p.sku = ? and w.code = 'EWR'`, [sku]))[0];

describe('from payment to the door', () => {
  it('picks by scanning, packs, ships with a carrier by the rules, and closes on delivery', async () => {
    const order = await paidOrder([{ sku: 'F-B', quantity: 2 }, { sku: 'F-A', quantity: 1 }]);
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
    expect(shipped.shipments).toEqual([expect.objectContaining({ carrier: 'usps', service: 'Ground Advantage', trackingNumber: expect.stringMatching(/^9400/) })]);
    expect(await status(order.id)).toBe('shipped');
    expect(await level('F-B')).toEqual({ on_hand: 48, reserved: 0 });
    expect(await sql(`select kind, quantity, reference from stock_movement m join product p on p.id = m.product_id where p.sku = 'F-B'`)).toEqual([{ kind: 'shipment', quantity: -2, reference: order.number }]);

    const tracking = shipped.shipments[0].trackingNumber;
    expect(await recordTrackingEvent(db.orm, tracking, { status: 'in_transit', location: 'Newark, NJ' }, 'api', actor)).toMatchObject({ status: 'in_transit' });
    const at = '2026-11-20T10:00:00Z';
    await recordTrackingEvent(db.orm, tracking, { status: 'delivered', occurredAt: at }, 'api', actor);
    expect(await recordTrackingEvent(db.orm, tracking, { status: 'delivered', occurredAt: at }, 'api', actor)).toMatchObject({ duplicate: true });
    expect(await status(order.id)).toBe('delivered');
    await expect(recordTrackingEvent(db.orm, tracking, { status: 'in_transit' }, 'api', actor)).rejects.toMatchObject({ code: 'shipment_closed' });
    expect((await sql(`select template from notification where order_id = ? order by id`, [order.id])).map((r: any) => r.template))
      .toEqual(['order_confirmation', 'order_shipped', 'order_delivered']);
  });

  it('groups by method: batch, zone and wave', async () => {
    const a = await paidOrder([{ sku: 'F-A', quantity: 1 }, { sku: 'F-C', quantity: 1 }]);
    const b = await paidOrder([{ sku: 'F-C', quantity: 1 }], 'express');
    const zone = await createPickLists(db.orm, { warehouse: 'EWR', method: 'zone', orderIds: [a.id, b.id] }, actor);
    expect(zone.map((z) => [z.zone, z.orders])).toEqual([['A', 1], ['C', 2]]);
    // Both orders are on lists now: no list twice for one order.
    await expect(createPickLists(db.orm, { warehouse: 'EWR', method: 'batch', orderIds: [a.id, b.id] }, actor)).rejects.toMatchObject({ code: 'nothing_to_pick' });
  });

  it('refuses to ship an order that is not packed, and names a bad method', async () => {
    const o = await paidOrder([{ sku: 'F-A', quantity: 1 }]);
    await expect(shipOrder(db.orm, o.id, actor)).rejects.toMatchObject({ code: 'illegal_transition' });
    await expect(createPickLists(db.orm, { warehouse: 'EWR', method: 'telepathy' }, actor)).rejects.toMatchObject({ status: 422, errors: [expect.objectContaining({ field: 'method' })] });
  });
});

describe('returns', () => {
  it('lets the customer return delivered items once, up to what shipped', async () => {
    const order = await paidOrder([{ sku: 'F-A', quantity: 2 }]);
    await expect(requestReturn(db.orm, order.id, { reason: 'damaged', lines: [{ sku: 'F-A', quantity: 1 }] }, actor, 'test')).rejects.toMatchObject({ code: 'not_returnable' });
    const [list] = await createPickLists(db.orm, { warehouse: 'EWR', method: 'single', orderIds: [order.id] }, actor);
    await confirmPick(db.orm, list.id, 'F-A', actor, 2);
    await packOrder(db.orm, order.id, actor);
    await shipOrder(db.orm, order.id, actor);
    const rma = await requestReturn(db.orm, order.id, { reason: 'damaged', resolution: 'exchange', lines: [{ sku: 'F-A', quantity: 1 }] }, actor, 'test');
    expect(rma.number).toMatch(/^RMA-[0-9A-F]{8}$/);
    await expect(requestReturn(db.orm, order.id, { reason: 'damaged', lines: [{ sku: 'F-A', quantity: 2 }] }, actor, 'test')).rejects.toMatchObject({ errors: [expect.objectContaining({ field: 'lines.0.quantity', params: { max: 1 } })] });
    await expect(requestReturn(db.orm, order.id, { reason: 'damaged', lines: [{ sku: 'F-A', quantity: 0 }] }, actor, 'test')).rejects.toMatchObject({ errors: [expect.objectContaining({ code: 'nothing_selected' })] });
    expect((await sql(`select type, payload ->> 'rma' as rma from outbox_event where type = 'return.requested'`))).toEqual([{ type: 'return.requested', rma: rma.number }]);
  });
});
