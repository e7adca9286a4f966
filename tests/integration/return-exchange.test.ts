// The seeded "Standard return" flow's exchange branch end to end, on the real PostgreSQL and the real
// Temporal dev server with the real activities: the dispatcher starts the return run from the
// customer's request, the exchange step creates a zero-charge replacement order, and that order's
// own `order.created` starts the seeded "Standard order" run, which picks, packs and ships it like
// any other order. With no stock for the replacement the flow takes its alert branch instead.
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../app/lib/audit.server.ts';
import { createOrder } from '../../app/modules/orders/intake.server.ts';
import { confirmPick, createPickLists, packOrder, shipOrder } from '../../app/modules/fulfilment/service.server.ts';
import { requestReturn } from '../../app/modules/returns/service.server.ts';
import { dispatchPass } from '../../app/modules/workflows/dispatcher.server.ts';
import { decideTask } from '../../app/modules/workflows/tasks.server.ts';
import { returnableLines } from '../../app/modules/returns/service.server.ts';
import type { RunState } from '../../workflows/interpreter.ts';
import { seedDemoData } from '../../scripts/seed/demo.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestWorker } from '../support/worker.ts';
import { testEnv } from '../support/env.ts';
import { waitFor } from '../support/wait.ts';

let db: TestDatabase;
let worker: Awaited<ReturnType<typeof startTestWorker>> | undefined;
let connection: Connection;
let client: Client;
const taskQueue = `exchange-${Date.now()}`;
const actor = { ...SYSTEM, label: 'tester' };
const quiet = { info: () => {}, warn: () => {}, error: (...a: unknown[]) => console.error(...a) };
const sql = <T = Record<string, unknown>>(q: string, p: unknown[] = []) => db.orm.em.getConnection().execute<T[]>(q, p);
const dispatch = () => dispatchPass({ orm: db.orm, temporal: async () => client, taskQueue, log: quiet });
/** Outbox rows written so far are not this test's business (the seed's, the setup's). */
const skipOutbox = () => sql('update outbox_event set dispatched_at = now() where dispatched_at is null');
let n = 0;

beforeAll(async () => {
  db = await createTestDatabase('exchange');
  await seedDemoData(db.orm, { size: 'small', passwordFor: () => 'x' });
  // EX-1 is stocked in Newark only; EX-2 (the other size) nowhere.
  for (const [sku, onHand] of [
    ['EX-1', 10],
    ['EX-2', 0],
  ] as const) {
    await sql(
      `insert into product (sku, barcode, name, weight_grams, length_mm, width_mm, height_mm, price_minor, currency) values (?, ?, ?, 300, 1, 1, 1, 2500, 'USD')`,
      [sku, `BC-${sku}`, `Trail shoe ${sku}`],
    );
    await sql(
      `insert into inventory_level (product_id, warehouse_id, on_hand, reserved, reorder_point, reorder_quantity, bin, updated_at)
               select p.id, w.id, case when w.code = 'EWR' then ? else 0 end, 0, 0, 0, 'A-01-1', now() from product p, warehouse w where p.sku = ?`,
      [onHand, sku],
    );
  }
  connection = await Connection.connect({ address: testEnv.temporalAddress });
  client = new Client({ connection });
  worker = await startTestWorker({ orm: db.orm, taskQueue });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await db?.drop();
});

/** A paid order for two EX-1, picked, packed and shipped by hand (no run of its own). */
async function shippedOrder(unitPrice = 2_500) {
  const r = await createOrder(
    db.orm,
    {
      channel: 'web',
      externalId: `EXCH-${Date.now()}-${++n}`,
      customer: { email: 'swap@example.com', name: 'Sam Swap' },
      shippingAddress: { line1: '1 Beacon St', city: 'Boston', country: 'US', lat: 42.36, lng: -71.06 },
      currency: 'USD',
      lines: [{ sku: 'EX-1', quantity: 2, unitPrice }],
      paymentMethod: 'test-card',
      paidAmount: 2 * unitPrice,
    },
    { actor, baseCurrency: 'USD' },
  );
  if (r.replayed) throw new Error('replayed');
  const [list] = await createPickLists(db.orm, { warehouse: 'EWR', method: 'single', orderIds: [r.order.id] }, actor);
  await confirmPick(db.orm, list.id, 'EX-1', actor, 2);
  await packOrder(db.orm, r.order.id, actor);
  await shipOrder(db.orm, r.order.id, actor);
  await skipOutbox();
  return r.order;
}

/** The customer asks; the dispatcher starts the seeded return flow; the parcel arrives; the run ends. */
async function runReturn(orderId: number, lines: { sku: string; quantity: number; replacementSku?: string }[]) {
  const rma = await requestReturn(db.orm, orderId, { reason: 'size_or_fit', resolution: 'exchange', lines }, actor, 'test');
  const pass = await dispatch();
  expect(pass.outcomes).toContainEqual(expect.objectContaining({ kind: 'started', workflowId: `return-${rma.id}` }));
  const handle = client.workflow.getHandle(`return-${rma.id}`);
  await handle.signal('goods_received', {});
  const state = (await handle.result()) as RunState;
  return { rma, state };
}

describe('the Standard return flow, exchange branch', () => {
  it('creates a zero-charge replacement that the Standard order flow picks, packs and ships', async () => {
    const order = await shippedOrder();
    const { rma, state } = await runReturn(order.id, [{ sku: 'EX-1', quantity: 1 }]);
    expect(state.status).toBe('completed');
    expect(state.steps.restock).toMatchObject({ status: 'done' });
    expect(state.steps.exchange).toMatchObject({ status: 'done', handle: 'ok' });
    expect(state.steps.notify_done).toMatchObject({ status: 'done' });
    expect(state.steps.alert_exchange.status).not.toBe('done');

    const [ret] = await sql('select status, replacement_order_id from return_request where id = ?', [rma.id]);
    expect(ret.status).toBe('exchanged');
    const replacementId = Number(ret.replacement_order_id);
    expect(state.context.nodes.exchange).toMatchObject({ replacementOrderId: replacementId, created: true });
    expect((await sql('select status, total_minor, payment_method from sales_order where id = ?', [replacementId]))[0]).toEqual({
      status: 'paid',
      total_minor: 0,
      payment_method: 'exchange',
    });
    // Staff hear the return is resolved (the flow's "Notify: resolved" step emails the default roles).
    expect(
      await sql(`select "to" from notification where template = 'staff_alert' and idempotency_key like ? order by "to"`, [
        `alert:return-${rma.id}:notify_done:%`,
      ]),
    ).toEqual([{ to: 'admin@demo.test' }, { to: 'ops@demo.test' }]);

    // The replacement's order.created starts the seeded order flow: already paid, so straight to routing and picking.
    const pass = await dispatch();
    expect(pass.outcomes).toContainEqual(expect.objectContaining({ kind: 'started', workflowId: `order-${replacementId}` }));
    const [pickList] = await waitFor('the pick list', () =>
      sql<{ id: number }>(
        `select distinct pk.id from pick_list pk join pick_list_line pl on pl.pick_list_id = pk.id where pl.order_id = ? and pk.status <> 'cancelled'`,
        [replacementId],
      ).then((r) => r[0] && r),
    );
    expect((await sql('select status from sales_order where id = ?', [replacementId]))[0].status).toBe('picking');
    await confirmPick(db.orm, pickList.id, 'EX-1', actor, 1);
    await packOrder(db.orm, replacementId, actor);
    await dispatch(); // order.status_changed → packed: the run's signal
    await waitFor('the shipment', async () => (await sql('select status from sales_order where id = ?', [replacementId]))[0].status === 'shipped');
    expect(await sql('select count(*)::int as n from shipment where order_id = ?', [replacementId])).toEqual([{ n: 1 }]);
    expect(await sql(`select template from notification where order_id = ? order by id`, [replacementId])).toEqual([{ template: 'order_shipped' }]);
    expect(await sql('select count(*)::int as n from payment where order_id = ?', [replacementId])).toEqual([{ n: 0 }]);
    await client.workflow.getHandle(`order-${replacementId}`).terminate('test over');
  });

  it('alerts staff instead when the replacement is out of stock, creating nothing', async () => {
    const order = await shippedOrder();
    const orders = (await sql('select count(*)::int as n from sales_order'))[0].n;
    const { rma, state } = await runReturn(order.id, [{ sku: 'EX-1', quantity: 1, replacementSku: 'EX-2' }]);
    expect(state.status).toBe('completed');
    expect(state.steps.exchange).toMatchObject({ status: 'done', handle: 'insufficient' });
    expect(state.context.nodes.exchange).toMatchObject({ shortages: [{ sku: 'EX-2', requested: 1, available: 0 }] });
    expect(state.steps.alert_exchange).toMatchObject({ status: 'done' });
    expect((await sql('select count(*)::int as n from sales_order'))[0].n).toBe(orders);
    expect((await sql('select status, replacement_order_id from return_request where id = ?', [rma.id]))[0]).toEqual({
      status: 'inspected',
      replacement_order_id: null,
    });
    expect(
      await sql(`select count(*)::int as n from notification where template = 'staff_alert' and idempotency_key like ?`, [
        `alert:return-${rma.id}:alert_exchange:%`,
      ]),
    ).toEqual([{ n: 2 }]);
  });
});

describe('the Standard return flow, approval refused', () => {
  it('ends the RMA as rejected when the approver says no, so its items can be returned again', async () => {
    const order = await shippedOrder(15_000); // 300.00 back: over the flow's approval threshold
    const rma = await requestReturn(
      db.orm,
      order.id,
      { reason: 'no_longer_needed', resolution: 'refund', lines: [{ sku: 'EX-1', quantity: 2 }] },
      actor,
      'test',
    );
    expect((await returnableLines(db.orm.em.fork(), order.id))[0].returnable).toBe(0);
    await dispatch();
    const [task] = await waitFor('the approval task', () =>
      sql<{ id: number }>(`select id from human_task where workflow_id = ? and status = 'open'`, [`return-${rma.id}`]).then((r) => r[0] && r),
    );
    await decideTask(db.orm, async () => client, task.id, { decision: 'rejected', comment: 'worn' }, { role: 'ops_manager', actor });
    const state = (await client.workflow.getHandle(`return-${rma.id}`).result()) as RunState;
    expect(state.status).toBe('completed');
    expect(state.steps.reject).toMatchObject({ status: 'done' });
    expect(state.steps.end_rejected).toMatchObject({ status: 'done' });
    expect((await sql('select status from return_request where id = ?', [rma.id]))[0].status).toBe('rejected');
    expect((await returnableLines(db.orm.em.fork(), order.id))[0].returnable).toBe(2);
    expect(await sql('select count(*)::int as n from payment where order_id = ? and refunded_minor > 0', [order.id])).toEqual([{ n: 0 }]);
  });
});
